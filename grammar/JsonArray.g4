// The exec form of a Dockerfile instruction: one JSON document (RFC 8259) that must be an array.
// The grammar accepts any JSON value so frontend/syntax.cc can tell "valid JSON but not all strings"
// (an error in BuildKit) from "not JSON at all" (the shell form is used instead).
grammar JsonArray;

document : value EOF ;
value : STRING | NUMBER | LIT_TRUE | LIT_FALSE | LIT_NULL | object | array ;
object : '{' (member (',' member)*)? '}' ;
member : STRING ':' value ;
array : '[' (value (',' value)*)? ']' ;

LIT_TRUE : 'true' ;
LIT_FALSE : 'false' ;
LIT_NULL : 'null' ;
STRING : '"' (ESCAPE | ~["\\\u0000-\u001F])* '"' ;
NUMBER : '-'? ('0' | [1-9] [0-9]*) ('.' [0-9]+)? ([eE] [+-]? [0-9]+)? ;
WS : [ \t\r\n]+ -> skip ;
// Anything else is one bad token; the parser then fails and the text is not JSON.
OTHER : . ;

fragment ESCAPE : '\\' (["\\/bfnrt] | 'u' HEX HEX HEX HEX) ;
fragment HEX : [0-9a-fA-F] ;
