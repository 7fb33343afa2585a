//! An expression's tokens as a person writes them, for the `.env.example`
//! template: `IpAddr::V4(Ipv4Addr::UNSPECIFIED)`, not `TokenStream`'s
//! `IpAddr :: V4 (Ipv4Addr :: UNSPECIFIED)`. The original source text is out
//! of reach on stable (`Span::join` is unstable, so an expression's span is
//! its first token's), so the spacing is rebuilt from the tokens: joined
//! punctuation stays joined, paths, calls, fields and macro calls are tight,
//! commas and colons are followed by a space, binary operators spaced,
//! unary ones not.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// What the previous piece was, for the space before the next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    /// An identifier or a literal.
    Word,
    /// A delimited group.
    Group,
    /// An operator, and whether a space may follow it.
    Op {
        space_after: bool,
    },
}

/// `tokens` as Rust source, spaced the way rustfmt would space an expression.
pub(crate) fn rust_text(tokens: TokenStream) -> String {
    let mut out = String::new();
    write(&mut out, tokens);
    out
}

fn write(out: &mut String, tokens: TokenStream) {
    let mut prev = Prev::Start;
    // Open `<` of a turbofish (`Vec::<u8>::new()`), so `>` closes it tightly.
    let mut angles = 0usize;
    let mut iter = tokens.into_iter().peekable();
    while let Some(tt) = iter.next() {
        match tt {
            TokenTree::Ident(i) => {
                space(out, prev, true);
                out.push_str(&i.to_string());
                prev = Prev::Word;
            }
            TokenTree::Literal(l) => {
                space(out, prev, true);
                out.push_str(&l.to_string());
                prev = Prev::Word;
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                // A call, an index or a macro's arguments hug what precedes.
                let tight =
                    g.delimiter() != Delimiter::Brace && matches!(prev, Prev::Word | Prev::Group);
                space(out, prev, !tight);
                out.push_str(open);
                let mut inner = String::new();
                write(&mut inner, g.stream());
                if g.delimiter() == Delimiter::Brace && !inner.is_empty() {
                    out.push(' ');
                    out.push_str(&inner);
                    out.push(' ');
                } else {
                    out.push_str(&inner);
                }
                out.push_str(close);
                prev = Prev::Group;
            }
            TokenTree::Punct(p) => {
                // A run of joined punctuation (`::<`, `>::`, `..=`), split
                // into operators by longest match.
                let mut run = String::from(p.as_char());
                let mut spacing = p.spacing();
                while spacing == Spacing::Joint {
                    match iter.peek() {
                        Some(TokenTree::Punct(q)) => {
                            run.push(q.as_char());
                            spacing = q.spacing();
                            iter.next();
                        }
                        _ => break,
                    }
                }
                let next_is_group = matches!(iter.peek(), Some(TokenTree::Group(_)));
                let ops = split(&run);
                for (i, op) in ops.iter().enumerate() {
                    let last = i + 1 == ops.len();
                    let operand_expected = matches!(prev, Prev::Start | Prev::Op { .. });
                    let (before, after) = match *op {
                        "::" => {
                            let turbofish = if last {
                                matches!(iter.peek(), Some(TokenTree::Punct(q)) if q.as_char() == '<')
                            } else {
                                ops[i + 1] == "<"
                            };
                            if turbofish {
                                angles += 1;
                            }
                            (false, false)
                        }
                        "<" if angles > 0 && !matches!(prev, Prev::Op { .. }) => {
                            angles += 1;
                            (false, false)
                        }
                        // The `<` of a turbofish, counted at its `::`.
                        "<" if angles > 0 => (false, false),
                        ">" | ">>" if angles > 0 => {
                            angles = angles.saturating_sub(op.len());
                            (false, false)
                        }
                        "." | ".." | "..=" | "?" => (false, false),
                        "," | ";" | ":" => (false, true),
                        // A macro call: `vec![...]`.
                        "!" if prev == Prev::Word && last && next_is_group => (false, false),
                        // Unary: `-1`, `!flag`, `&x`, `*x`; and a lifetime's `'`.
                        "-" | "!" | "&" | "&&" | "*" if operand_expected => (true, false),
                        "'" | "#" => (true, false),
                        _ => (true, true),
                    };
                    space(out, prev, before);
                    out.push_str(op);
                    prev = Prev::Op { space_after: after };
                }
            }
        }
    }
}

/// Rust's operators of more than one character, longest first.
const OPERATORS: [&str; 24] = [
    "<<=", ">>=", "...", "..=", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>",
    "+=", "-=", "*=", "/=", "%=", "^=", "&=", "|=", "..",
];

/// A run of joined punctuation as operators, longest match first.
fn split(run: &str) -> Vec<&str> {
    let mut ops = Vec::new();
    let mut rest = run;
    while let Some(c) = rest.chars().next() {
        let len = OPERATORS
            .iter()
            .find(|op| rest.starts_with(**op))
            .map_or(c.len_utf8(), |op| op.len());
        ops.push(&rest[..len]);
        rest = &rest[len..];
    }
    ops
}

/// A space before the next piece when both sides allow one.
fn space(out: &mut String, prev: Prev, before: bool) {
    let after = match prev {
        Prev::Start => false,
        Prev::Word | Prev::Group => true,
        Prev::Op { space_after } => space_after,
    };
    if after && before {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::rust_text;

    fn text(expr: &str) -> String {
        rust_text(expr.parse().unwrap())
    }

    #[test]
    fn expressions_read_as_rust() {
        for expr in [
            "IpAddr::V4(Ipv4Addr::UNSPECIFIED)",
            "std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1))",
            "::std::time::Duration::from_secs(5)",
            "-1",
            "60 * 60",
            "u16::MAX - 1",
            "!true",
            "&[1, 2]",
            "vec![1, 2, 3]",
            "Some(\"x\".to_owned())",
            "Level::Info",
            "(1, 2)",
            "Foo { a: 1, b: -2 }",
            "Vec::<u8>::new()",
            "HashMap::<String, Vec<u8>>::new()",
            "x as u64",
            "0..10",
            "a.b[0].c()",
            "1.5e3",
            "'c'",
        ] {
            assert_eq!(text(expr), expr);
        }
    }
}
