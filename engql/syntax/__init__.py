"""The front end: text to a typed tree with spans, by the generated parser of grammar/engql.lark."""
