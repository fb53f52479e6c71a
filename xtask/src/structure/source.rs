//! What the structure checks read of a Rust source file: its code without comments and literals,
//! where a trailing `#[cfg(test)] mod tests { ... }` block starts, and its tokens.
//!
//! This is a lexer, not a parser: it knows comments (nested block comments included), string,
//! byte-string and raw-string literals, character literals and lifetimes, which is all it takes
//! to find paths such as `crate::a` without being fooled by text in comments or strings.

/// The code of `text` with every comment and every string or character literal replaced by
/// spaces; newlines are kept, so line numbers and byte offsets stay those of `text`.
pub fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    // Blanks `chars[from..to]` into `out`, keeping newlines and byte lengths.
    let blank = |out: &mut String, from: usize, to: usize| {
        for &c in &chars[from..to] {
            if c == '\n' {
                out.push('\n');
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..].iter().position(|&c| c == '\n').map_or(chars.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let end = block_comment_end(&chars, i);
            blank(&mut out, i, end);
            i = end;
        } else if c == '"' {
            let end = string_end(&chars, i + 1);
            blank(&mut out, i, end);
            i = end;
        } else if c == '\'' {
            match char_literal_end(&chars, i) {
                // A lifetime or label: code.
                end if end == i => {
                    out.push(c);
                    i += 1;
                }
                end => {
                    blank(&mut out, i, end);
                    i = end;
                }
            }
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident_continue(chars[i]) {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            match (ident.as_str(), chars.get(i)) {
                ("r" | "br" | "cr", Some('"' | '#')) if raw_string_end(&chars, i).is_some() => {
                    let end = raw_string_end(&chars, i).unwrap_or(chars.len());
                    blank(&mut out, start, end);
                    i = end;
                }
                ("b" | "c", Some('"')) => {
                    let end = string_end(&chars, i + 1);
                    blank(&mut out, start, end);
                    i = end;
                }
                ("b", Some('\'')) if char_literal_end(&chars, i) > i => {
                    let end = char_literal_end(&chars, i);
                    blank(&mut out, start, end);
                    i = end;
                }
                _ => out.push_str(&ident),
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The index just past the block comment opening at `start` (`/*`), nesting included.
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let (mut depth, mut i) = (0usize, start);
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// The index just past the closing quote of a string whose contents start at `from`.
fn string_end(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// If a raw string starts at `from` (`#`s then `"`, after its `r` prefix), the index just past
/// its end; `None` if it is not one (a raw identifier such as `r#type`).
fn raw_string_end(chars: &[char], from: usize) -> Option<usize> {
    let hashes = chars[from..].iter().take_while(|&&c| c == '#').count();
    if chars.get(from + hashes) != Some(&'"') {
        return None;
    }
    let mut i = from + hashes + 1;
    while i < chars.len() {
        if chars[i] == '"'
            && chars[i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes
        {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}

/// At a `'` at `start`: the index just past the character literal starting there, or `start`
/// itself if it is a lifetime or label (`'a`, `'static`), which is code.
fn char_literal_end(chars: &[char], start: usize) -> usize {
    match chars.get(start + 1) {
        Some('\\') => {
            // An escape: `'\n'`, `'\''`, `'\u{1F600}'`.
            let mut i = start + 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            (i + 1).min(chars.len())
        }
        Some(_) if chars.get(start + 2) == Some(&'\'') => start + 3,
        _ => start,
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The byte offset where a trailing `#[cfg(test)] mod NAME { ... }` block of `code` (the output
/// of [`code_only`]) starts: the start of the line of its `#[cfg(test)]`, if the block, after
/// any further attributes, runs to the end of the file. `None` if there is no such block.
pub fn trailing_tests_start(code: &str) -> Option<usize> {
    const CFG_TEST: &str = "#[cfg(test)]";
    let mut search = 0;
    while let Some(found) = code[search..].find(CFG_TEST) {
        let at = search + found;
        search = at + CFG_TEST.len();
        let tokens = tokens(&code[search..]);
        let mut k = 0;
        // Further attributes: `#[...]`.
        while tokens.get(k).map(|t| t.text.as_str()) == Some("#")
            && tokens.get(k + 1).map(|t| t.text.as_str()) == Some("[")
        {
            k = match matching_close(&tokens, k + 1) {
                Some(close) => close + 1,
                None => break,
            };
        }
        let is_mod = tokens.get(k).map(|t| t.text.as_str()) == Some("mod")
            && tokens.get(k + 1).is_some_and(|t| t.is_ident())
            && tokens.get(k + 2).map(|t| t.text.as_str()) == Some("{");
        if is_mod && matching_close(&tokens, k + 2) == Some(tokens.len() - 1) {
            return Some(code[..at].rfind('\n').map_or(0, |p| p + 1));
        }
    }
    None
}

/// The index of the token closing the bracket at `open` (`{`, `[` or `(`), if it is closed.
fn matching_close(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "{" | "[" | "(" => depth += 1,
            "}" | "]" | ")" => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The lines of `text` (a whole file) that count towards its length: all of them, or those
/// before its trailing test block.
pub fn counted_lines(text: &str) -> usize {
    let code = code_only(text);
    let end = trailing_tests_start(&code).unwrap_or(text.len());
    text[..end].lines().count()
}

/// One token of code: an identifier (or number), `::`, or any other single character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Its text.
    pub text: String,
    /// Its line, from 1.
    pub line: usize,
}

impl Token {
    /// True for identifiers and keywords.
    pub fn is_ident(&self) -> bool {
        self.text.starts_with(is_ident_start)
    }
}

/// The tokens of `code` (the output of [`code_only`]).
pub fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if is_ident_continue(c) {
            let start = i;
            while i < chars.len() && is_ident_continue(chars[i]) {
                i += 1;
            }
            out.push(Token { text: chars[start..i].iter().collect(), line });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token { text: "::".into(), line });
            i += 2;
        } else {
            out.push(Token { text: c.to_string(), line });
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_literals_are_blanked_but_lines_kept() {
        let text = "use crate::a; // crate::b\n/* crate::c /* nested */ crate::d */ let s = \"crate::e\";\nlet r = r#\"crate::f\"#; let c = '\"'; fn f<'a>(x: &'a str) {}\n";
        let code = code_only(text);
        assert_eq!(code.len(), text.len());
        assert_eq!(code.lines().count(), text.lines().count());
        assert!(code.contains("crate::a"));
        for hidden in ["crate::b", "crate::c", "crate::d", "crate::e", "crate::f"] {
            assert!(!code.contains(hidden), "{hidden} in {code}");
        }
        assert!(code.contains("fn f<'a>(x: &'a str) {}"), "{code}");
    }

    #[test]
    fn raw_identifiers_and_byte_literals() {
        let code = code_only("let r#type = b'x'; let s = b\"crate::x\"; use crate::y;");
        assert!(code.contains("r#type"));
        assert!(!code.contains("crate::x"));
        assert!(code.contains("crate::y"));
    }

    #[test]
    fn a_trailing_test_block_is_found() {
        let text = "fn a() {}\n\n#[cfg(test)]\n#[allow(clippy::x)]\nmod tests {\n    fn b() { let s = \"}\"; }\n}\n";
        let code = code_only(text);
        let start = trailing_tests_start(&code).unwrap();
        assert_eq!(&text[start..start + 12], "#[cfg(test)]");
        assert_eq!(counted_lines(text), 2);
    }

    #[test]
    fn a_test_block_followed_by_code_is_not_trailing() {
        let text = "#[cfg(test)]\nmod tests {\n}\nfn after() {}\n";
        assert_eq!(trailing_tests_start(&code_only(text)), None);
        assert_eq!(counted_lines(text), 4);
        // An out-of-line test module is not a block.
        assert_eq!(trailing_tests_start(&code_only("fn a() {}\n#[cfg(test)]\nmod tests;\n")), None);
    }

    #[test]
    fn tokens_have_lines() {
        let t = tokens("use crate::{a,\n b};");
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["use", "crate", "::", "{", "a", ",", "b", "}", ";"]);
        assert_eq!(t[6].line, 2);
    }
}
