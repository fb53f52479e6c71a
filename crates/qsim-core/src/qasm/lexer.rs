//! Tokens of OpenQASM 2.0, produced on demand so that the first error in reading order wins.

use std::fmt;

use super::{Pos, error};
use crate::error::Result;

/// What a token is; names and numbers keep their source text for messages and later conversion.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum TokenKind {
    /// A name or keyword (`qreg`, `h`, `pi`, `U`, ...).
    Ident(String),
    /// Digits only: register sizes, indices, and numbers in expressions.
    Int(String),
    /// A number with a point or an exponent.
    Real(String),
    /// A double-quoted string (the include file name).
    Str(String),
    Semi,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    EqEq,
    Arrow,
    Eof,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self {
            TokenKind::Ident(s) | TokenKind::Int(s) | TokenKind::Real(s) => {
                return write!(f, "`{s}`");
            }
            TokenKind::Str(s) => return write!(f, "string \"{s}\""),
            TokenKind::Eof => return f.write_str("end of file"),
            TokenKind::Semi => ";",
            TokenKind::Comma => ",",
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Caret => "^",
            TokenKind::EqEq => "==",
            TokenKind::Arrow => "->",
        };
        write!(f, "`{symbol}`")
    }
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// 1-based line and column of its first character.
    pub pos: Pos,
}

/// Splits source text into tokens, skipping whitespace and `//` comments.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str) -> Self {
        Self { chars: source.chars().peekable(), pos: Pos { line: 1, column: 1 } }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn advance(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }

    fn skip_trivia(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_whitespace() => {
                    self.advance();
                }
                Some('/') => {
                    // Only `//` starts a comment; a lone `/` is division, so look one further.
                    let mut ahead = self.chars.clone();
                    ahead.next();
                    if ahead.peek() != Some(&'/') {
                        return;
                    }
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.advance();
                    }
                }
                _ => return,
            }
        }
    }

    fn next_token(&mut self) -> Result<Token> {
        self.skip_trivia();
        let pos = self.pos;
        let Some(c) = self.advance() else {
            return Ok(Token { kind: TokenKind::Eof, pos });
        };
        let kind = match c {
            ';' => TokenKind::Semi,
            ',' => TokenKind::Comma,
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => TokenKind::LBracket,
            ']' => TokenKind::RBracket,
            '{' => TokenKind::LBrace,
            '}' => TokenKind::RBrace,
            '+' => TokenKind::Plus,
            '*' => TokenKind::Star,
            '/' => TokenKind::Slash,
            '^' => TokenKind::Caret,
            '-' if self.peek() == Some('>') => {
                self.advance();
                TokenKind::Arrow
            }
            '-' => TokenKind::Minus,
            '=' if self.peek() == Some('=') => {
                self.advance();
                TokenKind::EqEq
            }
            '"' => self.string(pos)?,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::from(c);
                while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    name.push(c);
                    self.advance();
                }
                TokenKind::Ident(name)
            }
            c if c.is_ascii_digit() || c == '.' => self.number(c, pos)?,
            c => return Err(error(pos, format!("unexpected character {c:?}"))),
        };
        Ok(Token { kind, pos })
    }

    fn string(&mut self, start: Pos) -> Result<TokenKind> {
        let mut text = String::new();
        loop {
            match self.advance() {
                Some('"') => return Ok(TokenKind::Str(text)),
                Some('\n') | None => {
                    return Err(error(start, "unterminated string: missing the closing `\"`"));
                }
                Some(c) => text.push(c),
            }
        }
    }

    /// Reads `123`, `1.5`, `.5`, `2.`, `1e-3`, `6.02E23`; `first` is already consumed.
    fn number(&mut self, first: char, start: Pos) -> Result<TokenKind> {
        let mut text = String::from(first);
        let mut real = first == '.';
        let mut digits = usize::from(first != '.');
        let take_digits = |lexer: &mut Self, text: &mut String| {
            let mut n = 0;
            while let Some(c) = lexer.peek().filter(char::is_ascii_digit) {
                text.push(c);
                lexer.advance();
                n += 1;
            }
            n
        };
        digits += take_digits(self, &mut text);
        if !real && self.peek() == Some('.') {
            real = true;
            text.push('.');
            self.advance();
        }
        if real {
            digits += take_digits(self, &mut text);
        }
        if digits == 0 {
            return Err(error(start, "a `.` must be part of a number like `0.5`"));
        }
        if let Some(e) = self.peek().filter(|c| *c == 'e' || *c == 'E') {
            real = true;
            text.push(e);
            self.advance();
            if let Some(sign) = self.peek().filter(|c| *c == '+' || *c == '-') {
                text.push(sign);
                self.advance();
            }
            if take_digits(self, &mut text) == 0 {
                return Err(error(
                    start,
                    format!("malformed number `{text}`: exponent has no digits"),
                ));
            }
        }
        Ok(if real { TokenKind::Real(text) } else { TokenKind::Int(text) })
    }
}

/// A token stream with one token of lookahead.
pub(super) struct TokenStream<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token>,
}

impl<'a> TokenStream<'a> {
    /// Streams the tokens of `source`.
    pub fn new(source: &'a str) -> Self {
        Self { lexer: Lexer::new(source), peeked: None }
    }

    /// The next token, without consuming it.
    pub fn peek(&mut self) -> Result<&Token> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(token))
    }

    /// Consumes and returns the next token.
    pub fn bump(&mut self) -> Result<Token> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// Consumes the next token if it is `kind`.
    pub fn eat(&mut self, kind: &TokenKind) -> Result<Option<Token>> {
        if &self.peek()?.kind == kind { self.bump().map(Some) } else { Ok(None) }
    }

    /// Consumes a token of kind `kind`, or fails with "expected `kind` `context`".
    pub fn expect(&mut self, kind: &TokenKind, context: &str) -> Result<Token> {
        let token = self.bump()?;
        if &token.kind == kind {
            Ok(token)
        } else {
            Err(error(token.pos, format!("expected {kind} {context}, found {}", token.kind)))
        }
    }

    /// Consumes a name, or fails with "expected `what`".
    pub fn expect_ident(&mut self, what: &str) -> Result<(String, Pos)> {
        let token = self.bump()?;
        match token.kind {
            TokenKind::Ident(name) => Ok((name, token.pos)),
            other => Err(error(token.pos, format!("expected {what}, found {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        let mut ts = TokenStream::new(source);
        let mut out = Vec::new();
        loop {
            let t = ts.bump().unwrap();
            if t.kind == TokenKind::Eof {
                return out;
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn numbers_in_all_spellings() {
        assert_eq!(
            kinds("12 1.5 .5 2. 1e-3 6.02E+23"),
            vec![
                TokenKind::Int("12".into()),
                TokenKind::Real("1.5".into()),
                TokenKind::Real(".5".into()),
                TokenKind::Real("2.".into()),
                TokenKind::Real("1e-3".into()),
                TokenKind::Real("6.02E+23".into()),
            ]
        );
    }

    #[test]
    fn comments_and_positions() {
        let mut ts = TokenStream::new("// header\n  qreg q; // trailing\n->");
        let t = ts.bump().unwrap();
        assert_eq!((t.kind, t.pos), (TokenKind::Ident("qreg".into()), Pos { line: 2, column: 3 }));
        ts.bump().unwrap();
        ts.bump().unwrap();
        let t = ts.bump().unwrap();
        assert_eq!((t.kind, t.pos), (TokenKind::Arrow, Pos { line: 3, column: 1 }));
        assert_eq!(ts.bump().unwrap().kind, TokenKind::Eof);
    }

    #[test]
    fn slash_is_division_unless_doubled() {
        assert_eq!(
            kinds("pi/2"),
            vec![TokenKind::Ident("pi".into()), TokenKind::Slash, TokenKind::Int("2".into())]
        );
    }

    #[test]
    fn bad_input_is_an_error_with_a_position() {
        let err = |s: &str| match TokenStream::new(s).bump() {
            Err(crate::Error::Qasm(e)) => (e.line, e.column),
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!(err("\n  $"), (2, 3));
        assert_eq!(err(" \"qelib1.inc"), (1, 2));
        assert_eq!(err("1e+"), (1, 1));
        assert_eq!(err("."), (1, 1));
        assert_eq!(err("="), (1, 1));
    }
}
