//! The one writer of JSON text: every JSON output of ptr-audit (records,
//! the `json` document, SARIF, the `html` page's data, `validate` and
//! `classify` lines) is written with these primitives, so string escaping,
//! number forms and layout have one owner.
//!
//! Values are appended to a `String`, compact, objects with their keys in
//! the order written ([`Obj`], [`Arr`], [`ToJson`]); [`pretty`] lays a
//! compact text out the way `serde_json::to_string_pretty` does. The bytes
//! are serde_json's: strings escaped as it escapes them ([`push_str`]),
//! floats in its shortest form, NaN and infinities as `null`.

use std::borrow::Cow;
use std::net::IpAddr;

/// A value that can write itself as compact JSON.
pub trait ToJson {
    /// Appends the value's JSON text to `out`.
    fn write_json(&self, out: &mut String);
}

/// Text that is JSON already (written by this module).
#[derive(Clone, Copy, Debug)]
pub struct Raw<'a>(pub &'a str);

impl ToJson for Raw<'_> {
    fn write_json(&self, out: &mut String) {
        out.push_str(self.0);
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        push_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        push_str(out, self);
    }
}

impl ToJson for Cow<'_, str> {
    fn write_json(&self, out: &mut String) {
        push_str(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                push_u64(out, *self as u64);
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, usize);

impl ToJson for u128 {
    fn write_json(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(out, "{self}");
    }
}

impl ToJson for f64 {
    fn write_json(&self, out: &mut String) {
        if self.is_finite() {
            out.push_str(zmij::Buffer::new().format_finite(*self));
        } else {
            out.push_str("null");
        }
    }
}

/// An address as a string.
impl ToJson for IpAddr {
    fn write_json(&self, out: &mut String) {
        out.push('"');
        push_ip(out, *self);
        out.push('"');
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        let mut a = Arr::open(out);
        for v in self {
            a = a.item(v);
        }
        a.close();
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<A: ToJson, B: ToJson> ToJson for (A, B) {
    fn write_json(&self, out: &mut String) {
        Arr::open(out).item(&self.0).item(&self.1).close();
    }
}

/// The JSON text of one value.
pub fn to_string(value: &(impl ToJson + ?Sized)) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// An object being written: fields go out in the order they are added.
pub struct Obj<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Obj<'a> {
    /// Opens an object at the end of `out`.
    pub fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_str(self.out, key);
        self.out.push(':');
    }

    /// Adds `key` with `value`.
    pub fn field(mut self, key: &str, value: &(impl ToJson + ?Sized)) -> Self {
        self.key(key);
        value.write_json(self.out);
        self
    }

    /// Adds `key` with a value `write` appends (a nested object or array).
    pub fn with(mut self, key: &str, write: impl FnOnce(&mut String)) -> Self {
        self.key(key);
        write(self.out);
        self
    }

    /// Adds `key` with `value` when there is one (nothing for `None`).
    pub fn opt<T: ToJson>(self, key: &str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.field(key, &v),
            None => self,
        }
    }

    /// Closes the object.
    pub fn close(self) {
        self.out.push('}');
    }
}

/// An array being written.
pub struct Arr<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Arr<'a> {
    /// Opens an array at the end of `out`.
    pub fn open(out: &'a mut String) -> Self {
        out.push('[');
        Arr { out, empty: true }
    }

    fn sep(&mut self) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
    }

    /// Adds `value`.
    pub fn item(mut self, value: &(impl ToJson + ?Sized)) -> Self {
        self.sep();
        value.write_json(self.out);
        self
    }

    /// Adds a value `write` appends (a nested object or array).
    pub fn with(mut self, write: impl FnOnce(&mut String)) -> Self {
        self.sep();
        write(self.out);
        self
    }

    /// Closes the array.
    pub fn close(self) {
        self.out.push(']');
    }
}

/// Appends an array of `items`, each written by `write`.
pub fn push_array<I: IntoIterator>(
    out: &mut String,
    items: I,
    mut write: impl FnMut(&mut String, I::Item),
) {
    let mut a = Arr::open(out);
    for item in items {
        a = a.with(|out| write(out, item));
    }
    a.close();
}

/// The JSON text `write` appends to an empty string.
pub fn build(write: impl FnOnce(&mut String)) -> String {
    let mut out = String::new();
    write(&mut out);
    out
}

/// The order an object's keys are written in: as added, or sorted by
/// their bytes (the order serde_json's maps keep without `preserve_order`,
/// which the `html` page's data has always had).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrder {
    /// In the order the fields are added.
    Written,
    /// Sorted by key.
    Sorted,
}

impl KeyOrder {
    /// Starts an object whose keys go out in this order.
    pub fn obj(self) -> Fields {
        Fields {
            order: self,
            fields: Vec::new(),
        }
    }
}

/// An object's fields held until [`Fields::close`] writes them in their
/// [`KeyOrder`].
pub struct Fields {
    order: KeyOrder,
    fields: Vec<(String, String)>,
}

impl Fields {
    /// Adds `key` with `value`.
    pub fn field(self, key: &str, value: &(impl ToJson + ?Sized)) -> Self {
        self.with(key, |out| value.write_json(out))
    }

    /// Adds `key` with a value `write` appends (a nested object or array).
    pub fn with(mut self, key: &str, write: impl FnOnce(&mut String)) -> Self {
        self.fields.push((key.to_owned(), build(write)));
        self
    }

    /// Writes the object to `out`.
    pub fn close(mut self, out: &mut String) {
        if self.order == KeyOrder::Sorted {
            self.fields.sort_by(|a, b| a.0.cmp(&b.0));
        }
        self.fields
            .iter()
            .fold(Obj::open(out), |o, (k, v)| o.field(k, &Raw(v)))
            .close();
    }
}

/// `compact` (JSON text as this module writes it: no whitespace between
/// tokens) laid out as `serde_json::to_string_pretty` lays it out: two
/// spaces per level, one member per line, `"key": value`, `[]` and `{}`
/// when empty.
pub fn pretty(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut chars = compact.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some((_, s)) = chars.next() {
                    out.push(s);
                    match s {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                out.push(e);
                            }
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek().map(|&(_, n)| n) == Some(close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
    }
    out
}

/// A JSON string, escaped the way serde_json escapes: `"` and `\` with a
/// backslash, the control characters with their short forms or `\u00xx`,
/// everything else (including non-ASCII) as is.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none of them needs escaping.
        if let Some(chunk) = bytes.get(i..i + 8)
            && let Ok(word) = <[u8; 8]>::try_from(chunk)
            && !may_need_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        if b >= 0x20 && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        // Splitting before an ASCII byte is always on a char boundary.
        out.push_str(&s[run..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            0x0d => out.push_str("\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        i += 1;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// False only when no byte of `w` is a control character, `"` or `\`
/// (it may say true for a word that needs nothing: the bytes are then
/// checked one by one).
fn may_need_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let zero = |x: u64| below(x, 1);
    (below(w, 0x20) | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))) != 0
}

/// An unsigned integer in decimal.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// Appends bytes known to be ASCII digits and dots.
fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
}

/// An address as its `Display` writes it (IPv4 without the formatter), unquoted.
pub fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; 15];
            let mut n = 0;
            for (k, o) in v4.octets().into_iter().enumerate() {
                if k > 0 {
                    buf[n] = b'.';
                    n += 1;
                }
                if o >= 100 {
                    buf[n] = b'0' + o / 100;
                    n += 1;
                }
                if o >= 10 {
                    buf[n] = b'0' + o / 10 % 10;
                    n += 1;
                }
                buf[n] = b'0' + o % 10;
                n += 1;
            }
            push_ascii(out, &buf[..n]);
        }
        IpAddr::V6(v6) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_like_serde_at_every_position() {
        let specials = ['"', '\\', '\u{0}', '\n', '\u{1f}', '\u{7f}', 'é', '☃', 'a'];
        let mut checked = 0;
        for len in 0..20 {
            for pos in 0..len {
                for sp in specials {
                    let text: String = (0..len).map(|k| if k == pos { sp } else { 'x' }).collect();
                    let mut got = String::new();
                    push_str(&mut got, &text);
                    assert_eq!(got, serde_json::to_string(&text).unwrap(), "{text:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 9 * (0..20).sum::<usize>());
    }

    #[test]
    fn integers_and_addresses() {
        for o in 0..=255u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(o, 255 - o, o / 3, o % 7));
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
        for n in [0, 9, 10, 99, 100, 4_294_967_295, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for ip in [
            "0.0.0.0",
            "1.22.133.255",
            "100.109.110.9",
            "200.20.2.0",
            "::",
            "fe80::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
    }

    #[test]
    fn floats_like_serde() {
        for f in [
            0.0,
            5.0,
            0.5,
            100.0,
            1e-7,
            12.345,
            1e21,
            -3.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(to_string(&f), serde_json::to_string(&f).unwrap(), "{f}");
        }
    }

    #[test]
    fn pretty_lays_out_like_serde() {
        let mut out = String::new();
        Obj::open(&mut out)
            .field("a", &1u32)
            .field("empty", &Vec::<u32>::new())
            .with("obj", |o| {
                Obj::open(o)
                    .field("s", "x,y:{[\"]}\\")
                    .with("none", |o| Obj::open(o).close())
                    .close()
            })
            .field("list", &["p", "q"][..])
            .field("n", &None::<u32>)
            .close();
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        // serde_json without `preserve_order` sorts keys: compare the layout
        // on a text whose keys are written sorted.
        let mut sorted = String::new();
        Obj::open(&mut sorted)
            .field("a", &1u32)
            .field("empty", &Vec::<u32>::new())
            .field("list", &["p", "q"][..])
            .field("n", &None::<u32>)
            .with("obj", |o| {
                Obj::open(o)
                    .with("none", |o| Obj::open(o).close())
                    .field("s", "x,y:{[\"]}\\")
                    .close()
            })
            .close();
        assert_eq!(to_string(&Raw(&sorted)), value.to_string());
        assert_eq!(
            pretty(&sorted),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
