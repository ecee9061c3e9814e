//! Values in messages as a user writes them: `0`, not `Some(0)`; `none`, not `None`; lists as
//! `a, b`, not `["a", "b"]`; and counts with the right plural (`1 case`, `2 cases`).

use std::fmt::Write;
use std::path::Path;

/// A value shown in a message to a user.
pub trait Show {
    /// The value on its own (`"mine"`, `8`, `true`, `a, b`, `none`).
    fn show(&self) -> String;
    /// The value as an item of a list: as on its own, except that strings are quoted only
    /// when they need it (empty, or holding a comma, a space or a control character).
    fn show_item(&self) -> String {
        self.show()
    }
}

/// What an absent value shows as.
pub const NONE: &str = "none";

/// A string in double quotes, with what cannot be read escaped (`"a\tb"`).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "{}", c.escape_default());
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A path, quoted (`"/dev/null"`), lossy for bytes that are not UTF-8.
pub fn path(p: &Path) -> String {
    quote(&p.to_string_lossy())
}

/// `n` and the noun in its singular or plural: `1 case`, `2 cases`, `0 entries`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The items of a list, `a, b`; an empty list is [`NONE`].
pub fn list<T: Show>(items: impl IntoIterator<Item = T>) -> String {
    let shown: Vec<String> = items.into_iter().map(|i| i.show_item()).collect();
    if shown.is_empty() {
        NONE.to_string()
    } else {
        shown.join(", ")
    }
}

/// Words shown as they are (`not readable`, `24 rows, 80 columns`).
pub struct Words(pub String);

impl Show for Words {
    fn show(&self) -> String {
        self.0.clone()
    }
}

/// What the probe saw, or `not readable` when it could not see it.
pub fn seen<T: Show>(value: Option<T>) -> Words {
    Words(value.map_or_else(|| "not readable".to_string(), |v| v.show()))
}

impl Show for str {
    fn show(&self) -> String {
        quote(self)
    }
    fn show_item(&self) -> String {
        let plain = !self.is_empty()
            && !self
                .chars()
                .any(|c| c == ',' || c == '"' || c.is_whitespace() || c.is_control());
        if plain {
            self.to_string()
        } else {
            quote(self)
        }
    }
}

impl Show for String {
    fn show(&self) -> String {
        self.as_str().show()
    }
    fn show_item(&self) -> String {
        self.as_str().show_item()
    }
}

impl Show for Path {
    fn show(&self) -> String {
        path(self)
    }
}

impl Show for std::path::PathBuf {
    fn show(&self) -> String {
        path(self)
    }
}

macro_rules! show_display {
    ($($t:ty),*) => {$(
        impl Show for $t {
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
show_display!(bool, char, u16, u32, u64, usize, i32, i64);

impl<T: Show + ?Sized> Show for &T {
    fn show(&self) -> String {
        (**self).show()
    }
    fn show_item(&self) -> String {
        (**self).show_item()
    }
}

/// The value, or [`NONE`].
impl<T: Show> Show for Option<T> {
    fn show(&self) -> String {
        self.as_ref().map_or_else(|| NONE.to_string(), Show::show)
    }
    fn show_item(&self) -> String {
        self.as_ref()
            .map_or_else(|| NONE.to_string(), Show::show_item)
    }
}

/// The items, `a, b`, or [`NONE`].
impl<T: Show> Show for [T] {
    fn show(&self) -> String {
        list(self)
    }
}

impl<T: Show> Show for Vec<T> {
    fn show(&self) -> String {
        list(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_show_their_value_or_none() {
        assert_eq!(Some(0u64).show(), "0");
        assert_eq!(None::<u64>.show(), "none");
        assert_eq!(Some("x".to_string()).show(), "\"x\"");
        assert_eq!(Some(true).show(), "true");
    }

    #[test]
    fn lists_are_comma_separated_and_quote_only_what_needs_it() {
        let env = vec!["PATH=/bin".to_string(), "A=b c".into(), String::new()];
        assert_eq!(env.show(), r#"PATH=/bin, "A=b c", """#);
        assert_eq!(Vec::<u32>::new().show(), "none");
        assert_eq!([1u32, 2].show(), "1, 2");
        assert_eq!(vec![Some(3usize), None].show(), "3, none");
    }

    #[test]
    fn strings_and_paths_are_quoted_with_escapes() {
        assert_eq!("mine".show(), "\"mine\"");
        assert_eq!("a\"b\n".show(), r#""a\"b\n""#);
        assert_eq!(Path::new("/dev/null").show(), "\"/dev/null\"");
    }

    #[test]
    fn counts_take_the_plural_they_need() {
        assert_eq!(count(0, "case", "cases"), "0 cases");
        assert_eq!(count(1, "case", "cases"), "1 case");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }
}
