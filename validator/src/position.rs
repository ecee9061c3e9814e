//! Line and column of every JSON value, by JSON pointer.
//!
//! serde_json does not keep spans, so the validator scans the raw text once, iteratively (no
//! recursion, so nesting depth cannot overflow the stack), when a config has findings to place.

use std::collections::HashMap;

/// A 1-based line and column (in characters) and the byte offset of a value's first character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
}

/// Escapes one JSON pointer reference token (RFC 6901).
pub fn escape_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Nesting deeper than this is not indexed (serde_json itself stops at 128).
pub const MAX_DEPTH: usize = 256;

/// Positions of every value of a JSON text, keyed by JSON pointer ("" is the root).
#[derive(Debug, Default)]
pub struct Positions {
    map: HashMap<String, Pos>,
}

enum Frame {
    Object { ptr: String, key: Option<String> },
    Array { ptr: String, idx: usize },
}

struct Cursor<'a> {
    s: &'a str,
    i: usize,
    line: u32,
    col: u32,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.col,
            offset: self.i,
        }
    }
    /// Reads a string starting at its opening quote; returns its decoded value.
    fn string(&mut self) -> Option<String> {
        self.bump()?; // opening quote
        let mut out = String::new();
        loop {
            match self.bump()? {
                '"' => return Some(out),
                '\\' => match self.bump()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let mut code = 0u32;
                        for _ in 0..4 {
                            code = code * 16 + self.bump()?.to_digit(16)?;
                        }
                        if (0xD800..0xDC00).contains(&code) && self.s[self.i..].starts_with("\\u") {
                            self.bump();
                            self.bump();
                            let mut low = 0u32;
                            for _ in 0..4 {
                                low = low * 16 + self.bump()?.to_digit(16)?;
                            }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low.wrapping_sub(0xDC00));
                        }
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    c => out.push(c),
                },
                c => out.push(c),
            }
        }
    }
    fn scalar(&mut self) {
        while let Some(c) = self.peek() {
            if matches!(c, ',' | '}' | ']' | ' ' | '\t' | '\n' | '\r') {
                break;
            }
            self.bump();
        }
    }
}

impl Positions {
    /// Indexes `text`. Malformed input stops the scan early; what was indexed is kept.
    pub fn index(text: &str) -> Positions {
        let mut map = HashMap::new();
        let mut c = Cursor {
            s: text,
            i: 0,
            line: 1,
            col: 1,
        };
        let mut stack: Vec<Frame> = Vec::new();
        // Pointer of the value about to be read.
        let mut next_ptr = Some(String::new());
        loop {
            c.skip_ws();
            let Some(ch) = c.peek() else { break };
            if stack.len() > MAX_DEPTH {
                // Deeper than any config serde_json accepts: stop rather than build huge keys.
                break;
            }
            if let Some(ptr) = next_ptr.take() {
                map.insert(ptr.clone(), c.pos());
                match ch {
                    '{' => {
                        c.bump();
                        stack.push(Frame::Object { ptr, key: None });
                    }
                    '[' => {
                        c.bump();
                        stack.push(Frame::Array { ptr, idx: 0 });
                        c.skip_ws();
                        if c.peek() != Some(']') {
                            next_ptr = Some(format!("{}/0", array_ptr(&stack)));
                        }
                    }
                    '"' => {
                        if c.string().is_none() {
                            break;
                        }
                    }
                    _ => c.scalar(),
                }
                continue;
            }
            match (ch, stack.last_mut()) {
                ('"', Some(Frame::Object { ptr, key })) if key.is_none() => {
                    let Some(k) = c.string() else { break };
                    c.skip_ws();
                    if c.peek() != Some(':') {
                        break;
                    }
                    c.bump();
                    next_ptr = Some(format!("{ptr}/{}", escape_token(&k)));
                    *key = Some(k);
                }
                (',', Some(Frame::Object { key, .. })) => {
                    c.bump();
                    *key = None;
                }
                (',', Some(Frame::Array { ptr, idx })) => {
                    c.bump();
                    *idx += 1;
                    next_ptr = Some(format!("{ptr}/{idx}"));
                }
                ('}' | ']', Some(_)) => {
                    c.bump();
                    stack.pop();
                }
                _ => break,
            }
        }
        Positions { map }
    }

    /// The position of the value at `pointer`, or of its nearest indexed ancestor.
    pub fn get(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.map.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

fn array_ptr(stack: &[Frame]) -> &str {
    match stack.last() {
        Some(Frame::Array { ptr, .. }) | Some(Frame::Object { ptr, .. }) => ptr,
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_nested_values() {
        let text = "{\n  \"a\": [1, {\"b/c\": \"x\"}],\n  \"é\": {\"d\": null}\n}";
        let p = Positions::index(text);
        assert_eq!(p.get("").map(|p| (p.line, p.column)), Some((1, 1)));
        assert_eq!(p.get("/a").map(|p| (p.line, p.column)), Some((2, 8)));
        assert_eq!(p.get("/a/0").map(|p| (p.line, p.column)), Some((2, 9)));
        assert_eq!(
            p.get("/a/1/b~1c").map(|p| (p.line, p.column)),
            Some((2, 20))
        );
        assert_eq!(p.get("/é/d").map(|p| (p.line, p.column)), Some((3, 14)));
        // Unknown pointers fall back to the nearest ancestor.
        assert_eq!(p.get("/a/1/zzz").map(|p| (p.line, p.column)), Some((2, 12)));
    }

    #[test]
    fn empty_containers_and_escapes() {
        let text = r#"{"x": [], "y": {}, "z\"q": "\u00e9\ud83d\ude00", "w": [[], [3]]}"#;
        let p = Positions::index(text);
        assert!(p.get("/x").is_some());
        assert!(p.get("/z\"q").is_some());
        assert_eq!(p.get("/w/1/0").map(|p| p.column), Some(61));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let p = Positions::index(&text);
        assert!(p.get("/0/0/0").is_some());
        let deep = format!("/{}", vec!["0"; MAX_DEPTH + 10].join("/"));
        // Not indexed that deep; falls back to an ancestor.
        assert!(p.get(&deep).is_some());
    }
}
