//! [`TsigKey`]: reading BIND key files (`key "NAME" { algorithm ALG;
//! secret "BASE64"; };`, with `#`, `//` and `/* */` comments).

use std::fmt;
use std::path::Path;

use crate::TsigError;

/// A TSIG MAC algorithm (RFC 8945 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// `hmac-sha1.`
    HmacSha1,
    /// `hmac-sha256.` (what `tsig-keygen` writes by default)
    HmacSha256,
    /// `hmac-sha384.`
    HmacSha384,
    /// `hmac-sha512.`
    HmacSha512,
}

impl Algorithm {
    /// The algorithm's domain name as TSIG records carry it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "hmac-sha1.",
            Algorithm::HmacSha256 => "hmac-sha256.",
            Algorithm::HmacSha384 => "hmac-sha384.",
            Algorithm::HmacSha512 => "hmac-sha512.",
        }
    }

    fn from_name(text: &str) -> Option<Algorithm> {
        let lower = text.trim_end_matches('.').to_ascii_lowercase();
        Some(match lower.as_str() {
            "hmac-sha1" => Algorithm::HmacSha1,
            "hmac-sha256" => Algorithm::HmacSha256,
            "hmac-sha384" => Algorithm::HmacSha384,
            "hmac-sha512" => Algorithm::HmacSha512,
            _ => return None,
        })
    }

    pub(crate) fn ring(self) -> ring::hmac::Algorithm {
        match self {
            Algorithm::HmacSha1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::HmacSha256 => ring::hmac::HMAC_SHA256,
            Algorithm::HmacSha384 => ring::hmac::HMAC_SHA384,
            Algorithm::HmacSha512 => ring::hmac::HMAC_SHA512,
        }
    }
}

/// A TSIG key: its name, algorithm and secret. The secret is only ever used
/// to compute MACs inside this crate; `Debug` redacts it.
#[derive(Clone)]
pub struct TsigKey {
    /// Absolute, lowercase.
    name: String,
    algorithm: Algorithm,
    pub(crate) hmac: ring::hmac::Key,
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl TsigKey {
    /// Reads the one key of a BIND key file.
    pub fn from_file(path: &Path) -> Result<TsigKey, TsigError> {
        let text = std::fs::read_to_string(path).map_err(|source| TsigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        TsigKey::parse(&text, path)
    }

    /// Parses the text of a BIND key file (`path` names it in errors). The
    /// file must hold exactly one `key` statement with an `algorithm` and a
    /// `secret`.
    pub fn parse(text: &str, path: &Path) -> Result<TsigKey, TsigError> {
        let err = |line: usize, message: String| TsigError::Syntax {
            path: path.to_path_buf(),
            line,
            message,
        };
        let tokens = tokens(text).map_err(|(line, m)| err(line, m))?;
        let mut keys = Vec::new();
        let mut i = 0;
        let expect = |i: usize, want: &str| -> Result<(), TsigError> {
            match tokens.get(i) {
                Some(t) if t.text == want && !t.quoted => Ok(()),
                Some(t) => Err(err(t.line, format!("expected `{want}`"))),
                None => Err(err(
                    last_line(&tokens),
                    format!("expected `{want}` at the end"),
                )),
            }
        };
        while i < tokens.len() {
            let t = &tokens[i];
            if t.quoted || !t.text.eq_ignore_ascii_case("key") {
                return Err(err(
                    t.line,
                    "expected a `key \"NAME\" { algorithm ALG; secret \"BASE64\"; };` statement"
                        .to_owned(),
                ));
            }
            let start = t.line;
            let name = tokens
                .get(i + 1)
                .ok_or_else(|| err(start, "`key` needs a name".to_owned()))?;
            expect(i + 2, "{")?;
            i += 3;
            let (mut algorithm, mut secret) = (None, None);
            while tokens.get(i).is_some_and(|t| t.quoted || t.text != "}") {
                let clause = &tokens[i];
                let value = tokens
                    .get(i + 1)
                    .ok_or_else(|| err(clause.line, format!("`{}` needs a value", clause.text)))?;
                match clause.text.to_ascii_lowercase().as_str() {
                    "algorithm" => {
                        algorithm = Some(Algorithm::from_name(&value.text).ok_or_else(|| {
                            err(
                                value.line,
                                format!(
                                    "algorithm `{}` is not supported (hmac-sha1, hmac-sha256, hmac-sha384 or hmac-sha512)",
                                    value.text
                                ),
                            )
                        })?);
                    }
                    "secret" => {
                        // never quote the secret, even a broken one
                        let bytes = data_encoding::BASE64
                            .decode(value.text.as_bytes())
                            .map_err(|_| {
                                err(value.line, "the secret is not valid base64".to_owned())
                            })?;
                        if bytes.is_empty() {
                            return Err(err(value.line, "the secret is empty".to_owned()));
                        }
                        secret = Some(bytes);
                    }
                    other => {
                        return Err(err(
                            clause.line,
                            format!("unknown clause `{other}` in `key`"),
                        ));
                    }
                }
                expect(i + 2, ";")?;
                i += 3;
            }
            expect(i, "}")?;
            expect(i + 1, ";")?;
            i += 2;
            let algorithm =
                algorithm.ok_or_else(|| err(start, "the key has no `algorithm`".to_owned()))?;
            let secret = secret.ok_or_else(|| err(start, "the key has no `secret`".to_owned()))?;
            let name = key_name(&name.text).map_err(|m| err(name.line, m))?;
            keys.push(TsigKey {
                hmac: ring::hmac::Key::new(algorithm.ring(), &secret),
                name,
                algorithm,
            });
        }
        match keys.len() {
            1 => Ok(keys.remove(0)),
            0 => Err(err(0, "the file holds no `key` statement".to_owned())),
            n => Err(err(
                0,
                format!("the file holds {n} keys: give a file with the one key to use"),
            )),
        }
    }

    /// The key's name, absolute and lowercase (`transfer.`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// A key name: letters, digits, `-`, `_` and `.` labels of 1 to 63 octets,
/// made absolute and lowercase.
fn key_name(text: &str) -> Result<String, String> {
    let bare = text.strip_suffix('.').unwrap_or(text);
    let ok = !bare.is_empty()
        && bare.len() < 254
        && bare.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !ok {
        return Err(format!(
            "key name `{}` is not a domain name of letters, digits, `-` and `_`",
            text.escape_debug()
        ));
    }
    Ok(format!("{}.", bare.to_ascii_lowercase()))
}

struct Token {
    text: String,
    quoted: bool,
    line: usize,
}

fn last_line(tokens: &[Token]) -> usize {
    tokens.last().map_or(0, |t| t.line)
}

/// Splits named.conf-style text into words, quoted strings and `{ } ;`.
fn tokens(text: &str) -> Result<Vec<Token>, (usize, String)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>, line: usize| {
        if !word.is_empty() {
            out.push(Token {
                text: std::mem::take(word),
                quoted: false,
                line,
            });
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                flush(&mut word, &mut out, line);
                line += 1;
            }
            c if c.is_whitespace() => flush(&mut word, &mut out, line),
            '#' => {
                flush(&mut word, &mut out, line);
                while chars.next_if(|&n| n != '\n').is_some() {}
            }
            '/' if chars.peek() == Some(&'/') => {
                flush(&mut word, &mut out, line);
                while chars.next_if(|&n| n != '\n').is_some() {}
            }
            '/' if chars.peek() == Some(&'*') => {
                flush(&mut word, &mut out, line);
                chars.next();
                let start = line;
                let mut prev = ' ';
                loop {
                    match chars.next() {
                        Some('/') if prev == '*' => break,
                        Some(n) => {
                            if n == '\n' {
                                line += 1;
                            }
                            prev = n;
                        }
                        None => return Err((start, "`/*` comment is never closed".to_owned())),
                    }
                }
            }
            '{' | '}' | ';' => {
                flush(&mut word, &mut out, line);
                out.push(Token {
                    text: c.to_string(),
                    quoted: false,
                    line,
                });
            }
            '"' => {
                flush(&mut word, &mut out, line);
                let start = line;
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\n') | None => {
                            return Err((start, "unterminated quoted string".to_owned()));
                        }
                        Some(n) => s.push(n),
                    }
                }
                out.push(Token {
                    text: s,
                    quoted: true,
                    line: start,
                });
            }
            other => word.push(other),
        }
    }
    flush(&mut word, &mut out, line);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "aW5zZWN1cmUtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==";

    fn parse(text: &str) -> Result<TsigKey, TsigError> {
        TsigKey::parse(text, Path::new("k.key"))
    }

    #[test]
    fn bind_key_files_with_comments_parse() {
        let key = parse(&format!(
            "# made by tsig-keygen\n/* a\n comment */ key \"Transfer.Example\" {{\n\talgorithm HMAC-SHA512; // strongest\n\tsecret \"{SECRET}\";\n}};\n"
        ))
        .unwrap();
        assert_eq!(key.name(), "transfer.example.");
        assert_eq!(key.algorithm(), Algorithm::HmacSha512);
    }

    #[test]
    fn errors_name_the_line_and_never_the_secret() {
        let cases = [
            (
                format!("key k {{ algorithm hmac-md5; secret \"{SECRET}\"; }};"),
                1,
                "not supported",
            ),
            (
                "key k {\n algorithm hmac-sha256;\n secret \"not*base64!!\";\n};".to_owned(),
                3,
                "not valid base64",
            ),
            (
                format!("key k {{\n algorithm hmac-sha256;\n secret \"{SECRET}\"\n}};"),
                4,
                "expected `;`",
            ),
            (
                "key k { algorithm hmac-sha256; };".to_owned(),
                1,
                "no `secret`",
            ),
            (
                format!(
                    "key a {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\nkey b {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};"
                ),
                0,
                "2 keys",
            ),
            ("".to_owned(), 0, "no `key`"),
            (
                format!("key \"a b\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};"),
                1,
                "not a domain name",
            ),
        ];
        for (text, line, needle) in cases {
            let e = parse(&text).unwrap_err();
            let shown = e.to_string();
            let TsigError::Syntax { line: got, .. } = e else {
                panic!("{e:?}")
            };
            assert_eq!(got, line, "{text}: {shown}");
            assert!(shown.contains(needle), "{text}: {shown}");
            assert!(
                !shown.contains("not*base64") && !shown.contains(SECRET),
                "{shown}"
            );
        }
    }
}
