// Go's strconv.Quote (and so fmt's %q of a string), for the texts BuildKit prints with it: the
// parser's Node.Dump, the shell lexer's and the checks' messages.
#pragma once

#include <string>
#include <string_view>

namespace cairn::frontend {

// Printable runes as they are; \a \b \f \n \r \t \v, \xNN for other control bytes and invalid
// UTF-8, \uNNNN / \UNNNNNNNN for non-printable runes; in double quotes.
std::string GoQuote(std::string_view s);

}  // namespace cairn::frontend
