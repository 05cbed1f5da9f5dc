// One logical Dockerfile line (continuations already joined by frontend/line_reader.cc):
//   keyword, then the leading `--flag` words, then the arguments as raw text.
// Mirrors BuildKit's parser/split_command.go: a flag word may hold quoted spaces ("--a=\"x y\""),
// `\` escapes the next byte inside a flag, an unterminated quote runs to the end of the line, and a
// bare `--` ends the flags. The lexer is total (every input tokenizes), so a user never sees an
// ANTLR message; frontend/syntax.cc turns the tree into plain strings.
grammar DockerfileInstruction;

instruction : WS? keyword (WS flag)* (WS endOfFlags)? (WS body)? WS? EOF ;

keyword : anyWord ;
flag : FLAG ;
endOfFlags : DASHDASH ;
body : anyWord (WS anyWord)* ;
anyWord : WORD | FLAG | DASHDASH ;

// Whitespace as Go's split regexp [\t\v\f\r ]+ sees it (no newline can occur in a logical line,
// but accepting one keeps the lexer total).
WS : [ \t\u000B\f\r\n]+ ;
DASHDASH : '--' ;
FLAG : '--' FLAG_PART+ ;
WORD : ~[ \t\u000B\f\r\n]+ ;

fragment FLAG_PART
  : ~[ \t\u000B\f\r\n\\"']
  | '\\' (. | EOF)
  | '"' (~["\\] | '\\' (. | EOF))* ('"' | EOF)
  | '\'' (~['\\] | '\\' (. | EOF))* ('\'' | EOF)
  ;
