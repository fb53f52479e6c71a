//! Angle expressions: parsed once into postfix code, so that gate bodies can be evaluated at
//! every call with new parameter values, and so that neither evaluation nor dropping recurses
//! (a long `1+1+...+1` chain cannot overflow the stack).

use std::collections::HashMap;
use std::f64::consts::PI;

use super::lexer::{TokenKind, TokenStream};
use super::{Pos, error};
use crate::error::Result;

/// Deepest nesting of parentheses, unary signs and powers that an expression may use; the
/// parser recurses once per level, so this bounds its stack use on hostile input.
pub const MAX_EXPR_DEPTH: usize = 128;

/// The functions OpenQASM 2 (and Qiskit's legacy extensions) allow in expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Ln,
    Sqrt,
    Asin,
    Acos,
    Atan,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "exp" => Func::Exp,
            "ln" => Func::Ln,
            "sqrt" => Func::Sqrt,
            "asin" => Func::Asin,
            "acos" => Func::Acos,
            "atan" => Func::Atan,
            _ => return None,
        })
    }

    fn apply(self, x: f64) -> f64 {
        match self {
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Sqrt => x.sqrt(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
        }
    }
}

/// True for the names of expression functions (they cannot name gates, registers or parameters).
pub(super) fn is_function(name: &str) -> bool {
    Func::from_name(name).is_some()
}

/// The parameters of a gate definition, by name, with their positions in the parameter list.
pub(super) type Scope = HashMap<String, usize>;

/// One step of a postfix program over a stack of `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Instr {
    Num(f64),
    Param(usize),
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Call(Func),
}

/// A parsed expression: postfix code plus where it starts in the source.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Expr {
    code: Vec<Instr>,
    /// Position of the expression's first token.
    pub pos: Pos,
}

impl Expr {
    /// Steps of arithmetic one evaluation takes, for bounding the work of expanding gates.
    pub fn cost(&self) -> usize {
        self.code.len()
    }

    /// The value with gate parameters `params`; NaN or infinite results are the caller's to
    /// report, since only it knows which gate the angle belongs to.
    pub fn eval(&self, params: &[f64]) -> f64 {
        let mut stack: Vec<f64> = Vec::with_capacity(8);
        // The parser emits well-formed code, so the NaN fallbacks are never taken; they keep
        // evaluation total without a panic path.
        let pop = |stack: &mut Vec<f64>| stack.pop().unwrap_or(f64::NAN);
        for instr in &self.code {
            let value = match *instr {
                Instr::Num(v) => v,
                Instr::Param(i) => params.get(i).copied().unwrap_or(f64::NAN),
                Instr::Neg => -pop(&mut stack),
                Instr::Call(f) => f.apply(pop(&mut stack)),
                Instr::Add | Instr::Sub | Instr::Mul | Instr::Div | Instr::Pow => {
                    let b = pop(&mut stack);
                    let a = pop(&mut stack);
                    match *instr {
                        Instr::Add => a + b,
                        Instr::Sub => a - b,
                        Instr::Mul => a * b,
                        Instr::Div => a / b,
                        _ => a.powf(b),
                    }
                }
            };
            stack.push(value);
        }
        pop(&mut stack)
    }
}

/// Parses one expression; identifiers other than `pi` and functions must be in `params`.
pub(super) fn parse(ts: &mut TokenStream<'_>, params: &Scope) -> Result<Expr> {
    let pos = ts.peek()?.pos;
    let mut parser = ExprParser { ts, params, code: Vec::new(), depth: 0 };
    parser.sum()?;
    Ok(Expr { code: parser.code, pos })
}

/// Recursive descent over the usual precedence: `+ -` < `* /` < unary `-` < `^` (right
/// associative, so `-2^2` is `-4` and `2^-1` is `0.5`, as in Qiskit).
struct ExprParser<'s, 'a> {
    ts: &'s mut TokenStream<'a>,
    params: &'s Scope,
    code: Vec<Instr>,
    depth: usize,
}

impl ExprParser<'_, '_> {
    fn sum(&mut self) -> Result<()> {
        self.product()?;
        loop {
            let op = match self.ts.peek()?.kind {
                TokenKind::Plus => Instr::Add,
                TokenKind::Minus => Instr::Sub,
                _ => return Ok(()),
            };
            self.ts.bump()?;
            self.product()?;
            self.code.push(op);
        }
    }

    fn product(&mut self) -> Result<()> {
        self.unary()?;
        loop {
            let op = match self.ts.peek()?.kind {
                TokenKind::Star => Instr::Mul,
                TokenKind::Slash => Instr::Div,
                _ => return Ok(()),
            };
            self.ts.bump()?;
            self.unary()?;
            self.code.push(op);
        }
    }

    /// Every nesting level passes through here, so this is where depth is bounded.
    fn unary(&mut self) -> Result<()> {
        let pos = self.ts.peek()?.pos;
        if self.depth >= MAX_EXPR_DEPTH {
            return Err(error(
                pos,
                format!("expression is nested more than {MAX_EXPR_DEPTH} levels deep"),
            ));
        }
        self.depth += 1;
        let result = if self.ts.eat(&TokenKind::Minus)?.is_some() {
            self.unary().map(|()| self.code.push(Instr::Neg))
        } else if self.ts.eat(&TokenKind::Plus)?.is_some() {
            self.unary()
        } else {
            self.power()
        };
        self.depth -= 1;
        result
    }

    fn power(&mut self) -> Result<()> {
        self.atom()?;
        if self.ts.eat(&TokenKind::Caret)?.is_some() {
            self.unary()?;
            self.code.push(Instr::Pow);
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<()> {
        let token = self.ts.bump()?;
        let instr = match token.kind {
            TokenKind::Int(text) | TokenKind::Real(text) => {
                let value = text
                    .parse::<f64>()
                    .map_err(|_| error(token.pos, format!("malformed number `{text}`")))?;
                Instr::Num(value)
            }
            TokenKind::Ident(name) if name == "pi" => Instr::Num(PI),
            TokenKind::Ident(name) => {
                if let Some(f) = Func::from_name(&name) {
                    self.ts.expect(&TokenKind::LParen, &format!("after `{name}`"))?;
                    self.sum()?;
                    self.ts.expect(&TokenKind::RParen, &format!("to close `{name}(`"))?;
                    Instr::Call(f)
                } else if let Some(&i) = self.params.get(&name) {
                    Instr::Param(i)
                } else if self.params.is_empty() {
                    return Err(error(
                        token.pos,
                        format!(
                            "unknown name `{name}` in an expression (only numbers, `pi` and the \
                             functions sin, cos, tan, exp, ln, sqrt, asin, acos, atan are allowed)"
                        ),
                    ));
                } else {
                    return Err(error(
                        token.pos,
                        format!("`{name}` is not a parameter of this gate"),
                    ));
                }
            }
            TokenKind::LParen => {
                self.sum()?;
                self.ts.expect(&TokenKind::RParen, "to close `(`")?;
                return Ok(());
            }
            other => {
                return Err(error(
                    token.pos,
                    format!("expected a number, `pi`, a parameter or `(`, found {other}"),
                ));
            }
        };
        self.code.push(instr);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(source: &str, names: &[&str], values: &[f64]) -> f64 {
        let names: Scope = names.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
        let mut ts = TokenStream::new(source);
        let e = parse(&mut ts, &names).unwrap();
        assert_eq!(ts.peek().unwrap().kind, TokenKind::Eof, "{source} not fully parsed");
        e.eval(values)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(eval("1 + 2 * 3", &[], &[]), 7.0);
        assert_eq!(eval("8 / 4 / 2", &[], &[]), 1.0);
        assert_eq!(eval("1 - 2 - 3", &[], &[]), -4.0);
        assert_eq!(eval("-2^2", &[], &[]), -4.0);
        assert_eq!(eval("2^-1", &[], &[]), 0.5);
        assert_eq!(eval("2^3^2", &[], &[]), 512.0);
        assert_eq!(eval("-(1+2)*-2", &[], &[]), 6.0);
        assert_eq!(eval("+3", &[], &[]), 3.0);
    }

    #[test]
    fn constants_functions_and_parameters() {
        assert_eq!(eval("pi/2", &[], &[]), PI / 2.0);
        assert!((eval("sin(pi/2) + ln(exp(2)) + sqrt(16)", &[], &[]) - 7.0).abs() < 1e-15);
        assert!(
            (eval("asin(1) + acos(1) + atan(0) + cos(0) + tan(0)", &[], &[]) - (PI / 2.0 + 1.0))
                .abs()
                < 1e-15
        );
        assert_eq!(eval("1.5e-3 * 1000", &[], &[]), 1.5);
        assert_eq!(eval("2*theta - phi", &["theta", "phi"], &[0.25, 1.0]), -0.5);
    }

    #[test]
    fn division_by_zero_is_left_for_the_caller_to_reject() {
        assert!(eval("1/0", &[], &[]).is_infinite());
        assert!(eval("sqrt(-1)", &[], &[]).is_nan());
    }

    #[test]
    fn long_flat_chains_are_fine_but_deep_nesting_is_an_error() {
        let chain = vec!["1"; 100_000].join("+");
        assert_eq!(eval(&chain, &[], &[]), 100_000.0);
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&mut TokenStream::new(&deep), &Scope::new()).is_err());
        let negs = format!("{}1", "-".repeat(10_000));
        assert!(parse(&mut TokenStream::new(&negs), &Scope::new()).is_err());
    }

    #[test]
    fn unknown_names_are_errors() {
        assert!(parse(&mut TokenStream::new("theta"), &Scope::new()).is_err());
        assert!(
            parse(&mut TokenStream::new("x"), &Scope::from([("theta".to_string(), 0)])).is_err()
        );
        assert!(parse(&mut TokenStream::new("sin 1"), &Scope::new()).is_err());
    }
}
