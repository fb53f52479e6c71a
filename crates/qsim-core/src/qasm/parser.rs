//! Statements of OpenQASM 2.0 and their translation into a [`Circuit`].
//!
//! Each statement is checked as it is read, so the first error in reading order is the one
//! reported. User gates are stored as bodies over their own parameters and qubit arguments and
//! expanded into built-in gates at every call.

use std::collections::{HashMap, HashSet};

use super::expr::{self, Expr, Scope};
use super::lexer::{TokenKind, TokenStream};
use super::{MAX_BITS, MAX_EXPANSION, Pos, error};
use crate::circuit::gate::Gate;
use crate::circuit::{Circuit, Operation, Param};
use crate::error::Result;

/// Words that cannot name a gate, a register or a parameter.
const KEYWORDS: &[&str] = &[
    "OPENQASM", "include", "qreg", "creg", "gate", "opaque", "measure", "reset", "barrier", "if",
    "pi", "U", "CX",
];

/// Parses a whole program.
pub(super) fn parse(source: &str) -> Result<Circuit> {
    let mut parser = Parser {
        ts: TokenStream::new(source),
        qelib1: None,
        defs: Vec::new(),
        gate_names: HashMap::new(),
        registers: HashMap::new(),
        num_qubits: 0,
        num_clbits: 0,
        ops: Vec::new(),
        expansion: 0,
    };
    parser.program()?;
    let mut circuit = Circuit::with_clbits(parser.num_qubits, parser.num_clbits);
    for (op, pos) in parser.ops {
        // The parser has checked everything `push` checks; a failure here would be our bug, but
        // it still surfaces as an ordinary error at the statement that produced the operation.
        circuit.push(op).map_err(|e| error(pos, e.to_string()))?;
    }
    Ok(circuit)
}

fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name) || expr::is_function(name)
}

/// True for names that `include "qelib1.inc";` defines.
fn is_qelib1_name(name: &str) -> bool {
    Gate::ALL.iter().any(|g| g.in_qelib1() && g.name() == name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegKind {
    Quantum,
    Classical,
}

impl RegKind {
    fn describe(self) -> &'static str {
        match self {
            RegKind::Quantum => "quantum",
            RegKind::Classical => "classical",
        }
    }
}

/// A declared register: its bits are `offset..offset + size` of the concatenated register.
struct Register {
    kind: RegKind,
    offset: usize,
    size: usize,
    pos: Pos,
}

/// What a gate name refers to.
#[derive(Clone, Copy, Debug)]
enum Callee {
    Builtin(Gate),
    /// Index into `Parser::defs`; the definition may be opaque.
    Defined(usize),
}

/// A `gate` or `opaque` declaration.
struct Definition {
    name: String,
    pos: Pos,
    num_params: usize,
    num_qubits: usize,
    /// `None` for `opaque`.
    body: Option<Vec<BodyStmt>>,
    /// Work units one call expands to (see [`MAX_EXPANSION`]), saturating.
    cost: usize,
}

/// One statement of a gate body; qubits are indices into the gate's qubit arguments.
enum BodyStmt {
    Call { callee: Callee, params: Vec<Expr>, qubits: Vec<usize>, pos: Pos },
    Barrier(Vec<usize>),
}

/// A resolved qubit or bit argument: one bit, or a whole register to broadcast over.
struct Arg {
    name: String,
    /// Offset of the register in the concatenated register.
    offset: usize,
    /// `Some(i)` for `name[i]`, `None` for the whole register.
    index: Option<usize>,
    size: usize,
    pos: Pos,
}

impl Arg {
    /// The global bit for broadcast instance `i`.
    fn bit(&self, i: usize) -> usize {
        self.offset + self.index.unwrap_or(i)
    }

    fn describe(&self, i: usize) -> String {
        format!("{}[{}]", self.name, self.index.unwrap_or(i))
    }
}

/// An instance of a user gate being expanded: next body step, bound angles, mapped qubits.
struct Frame {
    def: usize,
    step: usize,
    params: Vec<f64>,
    qubits: Vec<usize>,
}

struct Parser<'a> {
    ts: TokenStream<'a>,
    /// Where `qelib1.inc` was included, if it was.
    qelib1: Option<Pos>,
    defs: Vec<Definition>,
    gate_names: HashMap<String, usize>,
    registers: HashMap<String, Register>,
    num_qubits: usize,
    num_clbits: usize,
    ops: Vec<(Operation, Pos)>,
    /// Work units emitted so far.
    expansion: usize,
}

impl Parser<'_> {
    fn program(&mut self) -> Result<()> {
        let mut first = true;
        loop {
            let token = self.ts.bump()?;
            let pos = token.pos;
            let word = match token.kind {
                TokenKind::Eof => return Ok(()),
                TokenKind::Ident(word) => word,
                other => {
                    return Err(error(pos, format!("expected a statement, found {other}")));
                }
            };
            match word.as_str() {
                "OPENQASM" if first => self.version()?,
                "OPENQASM" => {
                    return Err(error(pos, "`OPENQASM 2.0;` must be the first statement"));
                }
                "include" => self.include()?,
                "qreg" => self.register(RegKind::Quantum)?,
                "creg" => self.register(RegKind::Classical)?,
                "gate" => self.gate_definition()?,
                "opaque" => self.opaque()?,
                "measure" => self.measure(pos)?,
                "reset" => self.reset(pos)?,
                "barrier" => self.barrier(pos)?,
                "if" => {
                    return Err(error(
                        pos,
                        "classically controlled operations (`if`) are not supported: the \
                         circuit IR has no classical control flow",
                    ));
                }
                _ => self.gate_call(word, pos)?,
            }
            first = false;
        }
    }

    fn version(&mut self) -> Result<()> {
        let token = self.ts.bump()?;
        let ok = match &token.kind {
            TokenKind::Int(text) | TokenKind::Real(text) => text.parse::<f64>() == Ok(2.0),
            _ => false,
        };
        if !ok {
            return Err(error(
                token.pos,
                format!("unsupported OpenQASM version {}: only 2.0 is supported", token.kind),
            ));
        }
        self.ts.expect(&TokenKind::Semi, "after the version")?;
        Ok(())
    }

    fn include(&mut self) -> Result<()> {
        let token = self.ts.bump()?;
        let TokenKind::Str(file) = token.kind else {
            return Err(error(
                token.pos,
                format!("expected a file name in quotes after `include`, found {}", token.kind),
            ));
        };
        if file != "qelib1.inc" {
            return Err(error(
                token.pos,
                format!("cannot include \"{file}\": only \"qelib1.inc\" is available"),
            ));
        }
        if let Some(first) = self.qelib1 {
            return Err(error(
                token.pos,
                format!("\"qelib1.inc\" is already included at line {}", first.line),
            ));
        }
        if let Some(def) = self.defs.iter().find(|d| is_qelib1_name(&d.name)) {
            return Err(error(
                token.pos,
                format!(
                    "\"qelib1.inc\" defines `{}`, which is already defined at line {}",
                    def.name, def.pos.line
                ),
            ));
        }
        self.ts.expect(&TokenKind::Semi, "after the include")?;
        self.qelib1 = Some(token.pos);
        Ok(())
    }

    fn register(&mut self, kind: RegKind) -> Result<()> {
        let (name, pos) = self.ts.expect_ident("a register name")?;
        if is_keyword(&name) {
            return Err(error(pos, format!("`{name}` is a keyword and cannot name a register")));
        }
        if let Some(existing) = self.registers.get(&name) {
            return Err(error(
                pos,
                format!("register `{name}` is already declared at line {}", existing.pos.line),
            ));
        }
        self.ts.expect(&TokenKind::LBracket, "after the register name")?;
        let token = self.ts.bump()?;
        let size = match &token.kind {
            TokenKind::Int(text) => text.parse::<usize>().unwrap_or(usize::MAX),
            other => {
                return Err(error(
                    token.pos,
                    format!("expected the register size (an integer), found {other}"),
                ));
            }
        };
        if size == 0 {
            return Err(error(token.pos, "a register needs at least one bit"));
        }
        let total = match kind {
            RegKind::Quantum => &mut self.num_qubits,
            RegKind::Classical => &mut self.num_clbits,
        };
        if size > MAX_BITS - *total {
            return Err(error(
                token.pos,
                format!(
                    "register `{name}` would take the program past {MAX_BITS} {} bits, the \
                     most this importer accepts",
                    kind.describe()
                ),
            ));
        }
        let offset = *total;
        *total += size;
        self.ts.expect(&TokenKind::RBracket, "after the register size")?;
        self.ts.expect(&TokenKind::Semi, "after the register declaration")?;
        self.registers.insert(name, Register { kind, offset, size, pos });
        Ok(())
    }

    /// Checks that `name` may be declared as a new gate.
    fn check_new_gate_name(&self, name: &str, pos: Pos) -> Result<()> {
        if is_keyword(name) {
            return Err(error(
                pos,
                format!("`{name}` is a keyword or built-in and cannot be redefined"),
            ));
        }
        if let Some(&i) = self.gate_names.get(name) {
            return Err(error(
                pos,
                format!("gate `{name}` is already defined at line {}", self.defs[i].pos.line),
            ));
        }
        if self.qelib1.is_some() && is_qelib1_name(name) {
            return Err(error(pos, format!("gate `{name}` is already defined by \"qelib1.inc\"")));
        }
        Ok(())
    }

    /// Reads `(a, b, ...)` (optional) and `q0, q1, ...` of a `gate` or `opaque` declaration,
    /// as maps from each name to its position (hash maps, so that huge signatures stay linear).
    fn signature(&mut self) -> Result<(Scope, Scope)> {
        let mut params = Scope::new();
        let mut qubits = Scope::new();
        let check = |name: &str, pos: Pos, params: &Scope, qubits: &Scope| -> Result<()> {
            if is_keyword(name) {
                return Err(error(
                    pos,
                    format!("`{name}` is a keyword and cannot name an argument"),
                ));
            }
            if params.contains_key(name) || qubits.contains_key(name) {
                return Err(error(pos, format!("argument `{name}` is declared twice")));
            }
            Ok(())
        };
        if self.ts.eat(&TokenKind::LParen)?.is_some() && self.ts.eat(&TokenKind::RParen)?.is_none()
        {
            loop {
                let (name, pos) = self.ts.expect_ident("a parameter name")?;
                check(&name, pos, &params, &qubits)?;
                params.insert(name, params.len());
                if self.ts.eat(&TokenKind::Comma)?.is_none() {
                    self.ts.expect(&TokenKind::RParen, "to close the parameter list")?;
                    break;
                }
            }
        }
        loop {
            let (name, pos) = self.ts.expect_ident("a qubit argument name")?;
            check(&name, pos, &params, &qubits)?;
            qubits.insert(name, qubits.len());
            if self.ts.eat(&TokenKind::Comma)?.is_none() {
                break;
            }
        }
        Ok((params, qubits))
    }

    fn opaque(&mut self) -> Result<()> {
        let (name, pos) = self.ts.expect_ident("a gate name")?;
        self.check_new_gate_name(&name, pos)?;
        let (params, qubits) = self.signature()?;
        self.ts.expect(&TokenKind::Semi, "after the opaque declaration")?;
        self.gate_names.insert(name.clone(), self.defs.len());
        self.defs.push(Definition {
            name,
            pos,
            num_params: params.len(),
            num_qubits: qubits.len(),
            body: None,
            cost: 0,
        });
        Ok(())
    }

    fn gate_definition(&mut self) -> Result<()> {
        let (name, pos) = self.ts.expect_ident("a gate name")?;
        self.check_new_gate_name(&name, pos)?;
        let (params, qubits) = self.signature()?;
        let open = self.ts.expect(&TokenKind::LBrace, "to open the gate body")?;
        let mut body = Vec::new();
        let mut cost = 0usize;
        loop {
            let token = self.ts.bump()?;
            let word = match token.kind {
                TokenKind::RBrace => break,
                TokenKind::Eof => {
                    return Err(error(
                        open.pos,
                        format!("the body of gate `{name}` is never closed (missing `}}`)"),
                    ));
                }
                TokenKind::Ident(word) => word,
                other => {
                    return Err(error(
                        token.pos,
                        format!(
                            "expected a gate call, `barrier` or `}}` in a gate body, found {other}"
                        ),
                    ));
                }
            };
            let stmt = match word.as_str() {
                "barrier" => {
                    let args = self.body_arguments(&qubits)?;
                    self.ts.expect(&TokenKind::Semi, "after the barrier")?;
                    cost = cost.saturating_add(1 + args.len());
                    BodyStmt::Barrier(args)
                }
                w if is_keyword(w) && w != "U" && w != "CX" => {
                    return Err(error(
                        token.pos,
                        format!("`{w}` is not allowed inside a gate body"),
                    ));
                }
                _ => {
                    let (callee, num_params, num_qubits) = self.resolve(&word, token.pos)?;
                    let exprs = self.parameters(&params)?;
                    check_count(&word, token.pos, "parameter", num_params, exprs.len())?;
                    let args = self.body_arguments(&qubits)?;
                    check_count(&word, token.pos, "qubit", num_qubits, args.len())?;
                    self.ts.expect(&TokenKind::Semi, "after the gate call")?;
                    let call_cost = match callee {
                        Callee::Builtin(_) => 1 + num_qubits,
                        Callee::Defined(i) => self.defs[i].cost,
                    };
                    let arithmetic: usize = exprs.iter().map(Expr::cost).sum();
                    cost = cost.saturating_add(call_cost).saturating_add(arithmetic);
                    BodyStmt::Call { callee, params: exprs, qubits: args, pos: token.pos }
                }
            };
            body.push(stmt);
        }
        self.gate_names.insert(name.clone(), self.defs.len());
        self.defs.push(Definition {
            name,
            pos,
            num_params: params.len(),
            num_qubits: qubits.len(),
            body: Some(body),
            cost,
        });
        Ok(())
    }

    /// Qubit arguments inside a gate body: names of the gate's qubit arguments, no indexing.
    fn body_arguments(&mut self, qubits: &Scope) -> Result<Vec<usize>> {
        let mut args: Vec<usize> = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let (name, pos) = self.ts.expect_ident("a qubit argument")?;
            let Some(&i) = qubits.get(&name) else {
                return Err(error(pos, format!("`{name}` is not a qubit argument of this gate")));
            };
            let next = self.ts.peek()?;
            if next.kind == TokenKind::LBracket {
                return Err(error(
                    next.pos,
                    "qubit arguments cannot be indexed inside a gate body",
                ));
            }
            if !seen.insert(i) {
                return Err(error(pos, format!("qubit `{name}` is used twice in one operation")));
            }
            args.push(i);
            if self.ts.eat(&TokenKind::Comma)?.is_none() {
                return Ok(args);
            }
        }
    }

    /// Looks a gate name up: user definitions first (they may override `ryy`, `rzx`), then the
    /// built-ins `U` and `CX`, then `qelib1.inc` if it was included.
    fn resolve(&self, name: &str, pos: Pos) -> Result<(Callee, usize, usize)> {
        if let Some(&i) = self.gate_names.get(name) {
            let def = &self.defs[i];
            return Ok((Callee::Defined(i), def.num_params, def.num_qubits));
        }
        let builtin = match name {
            "U" => Some(Gate::U),
            "CX" => Some(Gate::Cx),
            _ if self.qelib1.is_some() => Gate::from_name(name),
            _ => None,
        };
        if let Some(gate) = builtin {
            return Ok((Callee::Builtin(gate), gate.num_params(), gate.num_qubits()));
        }
        let hint = if Gate::from_name(name).is_some() {
            " (gates other than `U` and `CX` need `include \"qelib1.inc\";` first)"
        } else {
            ""
        };
        Err(error(pos, format!("unknown gate `{name}`{hint}")))
    }

    /// Reads an optional `(expr, ...)`; names in the expressions must be in `scope`.
    fn parameters(&mut self, scope: &Scope) -> Result<Vec<Expr>> {
        let mut exprs = Vec::new();
        if self.ts.eat(&TokenKind::LParen)?.is_none() || self.ts.eat(&TokenKind::RParen)?.is_some()
        {
            return Ok(exprs);
        }
        loop {
            exprs.push(expr::parse(&mut self.ts, scope)?);
            if self.ts.eat(&TokenKind::Comma)?.is_none() {
                self.ts.expect(&TokenKind::RParen, "to close the parameter list")?;
                return Ok(exprs);
            }
        }
    }

    /// One register argument, `name` or `name[index]`, checked against its declaration.
    fn argument(&mut self, kind: RegKind) -> Result<Arg> {
        let (name, pos) = self.ts.expect_ident(&format!("a {} register", kind.describe()))?;
        let Some(reg) = self.registers.get(&name) else {
            return Err(error(pos, format!("undefined register `{name}`")));
        };
        if reg.kind != kind {
            return Err(error(
                pos,
                format!(
                    "`{name}` is a {} register where a {} one is needed",
                    reg.kind.describe(),
                    kind.describe()
                ),
            ));
        }
        let (offset, size) = (reg.offset, reg.size);
        let mut index = None;
        if self.ts.eat(&TokenKind::LBracket)?.is_some() {
            let token = self.ts.bump()?;
            let TokenKind::Int(text) = &token.kind else {
                return Err(error(
                    token.pos,
                    format!("expected an integer index, found {}", token.kind),
                ));
            };
            match text.parse::<usize>() {
                Ok(i) if i < size => index = Some(i),
                _ => {
                    return Err(error(
                        token.pos,
                        format!(
                            "index {text} is out of range for register `{name}` of size {size}"
                        ),
                    ));
                }
            }
            self.ts.expect(&TokenKind::RBracket, "after the index")?;
        }
        Ok(Arg { name, offset, index, size, pos })
    }

    /// A comma-separated list of quantum arguments (at least one).
    fn arguments(&mut self) -> Result<Vec<Arg>> {
        let mut args = vec![self.argument(RegKind::Quantum)?];
        while self.ts.eat(&TokenKind::Comma)?.is_some() {
            args.push(self.argument(RegKind::Quantum)?);
        }
        Ok(args)
    }

    /// Adds `units` of work, failing at `pos` once the program would exceed [`MAX_EXPANSION`].
    fn charge(&mut self, units: usize, pos: Pos) -> Result<()> {
        match self.expansion.checked_add(units).filter(|&total| total <= MAX_EXPANSION) {
            Some(total) => {
                self.expansion = total;
                Ok(())
            }
            None => Err(error(
                pos,
                format!(
                    "the program expands to more than {MAX_EXPANSION} operations and qubit \
                     operands, the most this importer builds"
                ),
            )),
        }
    }

    fn gate_call(&mut self, name: String, pos: Pos) -> Result<()> {
        let (callee, num_params, num_qubits) = self.resolve(&name, pos)?;
        let exprs = self.parameters(&Scope::new())?;
        check_count(&name, pos, "parameter", num_params, exprs.len())?;
        let mut values = Vec::with_capacity(exprs.len());
        for e in &exprs {
            let value = e.eval(&[]);
            if !value.is_finite() {
                return Err(error(
                    e.pos,
                    format!("this angle evaluates to {value}, which is not a finite number"),
                ));
            }
            values.push(value);
        }
        let args = self.arguments()?;
        check_count(&name, pos, "qubit", num_qubits, args.len())?;
        self.ts.expect(&TokenKind::Semi, "after the gate call")?;

        let instances = broadcast_size(&args)?;
        for i in 0..instances {
            check_distinct(&args, i)?;
        }
        let cost = match callee {
            Callee::Builtin(_) => 1 + num_qubits,
            Callee::Defined(d) => match &self.defs[d].body {
                Some(_) => self.defs[d].cost,
                None => {
                    return Err(error(
                        pos,
                        format!(
                            "gate `{name}` is opaque (declared at line {}): it has no definition \
                             to simulate",
                            self.defs[d].pos.line
                        ),
                    ));
                }
            },
        };
        self.charge(cost.saturating_mul(instances), pos)?;
        for i in 0..instances {
            let qubits: Vec<usize> = args.iter().map(|a| a.bit(i)).collect();
            match callee {
                Callee::Builtin(gate) => self.emit_gate(gate, qubits, &values, pos),
                Callee::Defined(d) => self.expand(d, values.clone(), qubits, pos)?,
            }
        }
        Ok(())
    }

    fn emit_gate(&mut self, gate: Gate, qubits: Vec<usize>, values: &[f64], pos: Pos) {
        let params = values.iter().map(|&v| Param::Fixed(v)).collect();
        self.ops.push((Operation::Gate { gate, qubits, params }, pos));
    }

    /// Expands a call of user gate `def` into built-in gates, with an explicit stack so that long
    /// chains of definitions cannot overflow the call stack.
    fn expand(&mut self, def: usize, params: Vec<f64>, qubits: Vec<usize>, pos: Pos) -> Result<()> {
        let mut stack = vec![Frame { def, step: 0, params, qubits }];
        while let Some(frame) = stack.last_mut() {
            let Some(body) = &self.defs[frame.def].body else {
                // Opaque callees are caught below before they are pushed.
                stack.pop();
                continue;
            };
            let Some(stmt) = body.get(frame.step) else {
                stack.pop();
                continue;
            };
            frame.step += 1;
            match stmt {
                BodyStmt::Barrier(args) => {
                    let qubits = args.iter().map(|&a| frame.qubits[a]).collect();
                    self.ops.push((Operation::Barrier { qubits }, pos));
                }
                BodyStmt::Call { callee, params, qubits: args, pos: at } => {
                    let values: Vec<f64> = params.iter().map(|e| e.eval(&frame.params)).collect();
                    let qubits: Vec<usize> = args.iter().map(|&a| frame.qubits[a]).collect();
                    let caller = &self.defs[frame.def].name;
                    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                        return Err(error(
                            pos,
                            format!(
                                "this call of `{}` gives a non-finite angle ({bad}) to the gate \
                                 at line {}, column {} inside `{caller}`",
                                self.defs[def].name, at.line, at.column
                            ),
                        ));
                    }
                    match *callee {
                        Callee::Builtin(gate) => {
                            let params = values.into_iter().map(Param::Fixed).collect();
                            self.ops.push((Operation::Gate { gate, qubits, params }, pos));
                        }
                        Callee::Defined(d) if self.defs[d].body.is_none() => {
                            return Err(error(
                                pos,
                                format!(
                                    "gate `{}` calls opaque gate `{}` (inside `{caller}`), which \
                                     has no definition to simulate",
                                    self.defs[def].name, self.defs[d].name
                                ),
                            ));
                        }
                        Callee::Defined(d) => {
                            stack.push(Frame { def: d, step: 0, params: values, qubits });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn measure(&mut self, pos: Pos) -> Result<()> {
        let q = self.argument(RegKind::Quantum)?;
        self.ts.expect(&TokenKind::Arrow, "between the qubit and the classical bit")?;
        let c = self.argument(RegKind::Classical)?;
        self.ts.expect(&TokenKind::Semi, "after the measurement")?;
        let instances = match (q.index, c.index) {
            (Some(_), Some(_)) => 1,
            (None, None) if q.size == c.size => q.size,
            (None, None) => {
                return Err(error(
                    c.pos,
                    format!(
                        "cannot measure register `{}` ({} qubits) into `{}` ({} bits): sizes \
                         differ",
                        q.name, q.size, c.name, c.size
                    ),
                ));
            }
            _ => {
                return Err(error(
                    c.pos,
                    "measure needs two whole registers or two single bits, not a mix",
                ));
            }
        };
        self.charge(3usize.saturating_mul(instances), pos)?;
        for i in 0..instances {
            self.ops.push((Operation::Measure { qubit: q.bit(i), clbit: c.bit(i) }, pos));
        }
        Ok(())
    }

    fn reset(&mut self, pos: Pos) -> Result<()> {
        let q = self.argument(RegKind::Quantum)?;
        self.ts.expect(&TokenKind::Semi, "after the reset")?;
        let instances = if q.index.is_some() { 1 } else { q.size };
        self.charge(2usize.saturating_mul(instances), pos)?;
        for i in 0..instances {
            self.ops.push((Operation::Reset { qubit: q.bit(i) }, pos));
        }
        Ok(())
    }

    fn barrier(&mut self, pos: Pos) -> Result<()> {
        let args = self.arguments()?;
        self.ts.expect(&TokenKind::Semi, "after the barrier")?;
        let mut qubits: Vec<usize> = Vec::new();
        let mut seen = HashSet::new();
        for a in &args {
            let count = if a.index.is_some() { 1 } else { a.size };
            for i in 0..count {
                let q = a.bit(i);
                if !seen.insert(q) {
                    return Err(error(
                        a.pos,
                        format!("qubit {} appears twice in one barrier", a.describe(i)),
                    ));
                }
                qubits.push(q);
            }
        }
        self.charge(1 + qubits.len(), pos)?;
        self.ops.push((Operation::Barrier { qubits }, pos));
        Ok(())
    }
}

fn check_count(name: &str, pos: Pos, what: &str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        return Ok(());
    }
    let verb = if what == "qubit" { "acts on" } else { "takes" };
    Err(error(pos, format!("gate `{name}` {verb} {expected} {what}(s), got {got}")))
}

/// Number of instances a broadcast call expands to: whole registers must agree in size.
fn broadcast_size(args: &[Arg]) -> Result<usize> {
    let mut first: Option<&Arg> = None;
    for a in args.iter().filter(|a| a.index.is_none()) {
        match first {
            None => first = Some(a),
            Some(f) if f.size != a.size => {
                return Err(error(
                    a.pos,
                    format!(
                        "register `{}` has {} qubits but `{}` has {}: broadcasting needs \
                         registers of equal size",
                        a.name, a.size, f.name, f.size
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(first.map_or(1, |f| f.size))
}

/// Fails at the second occurrence of a qubit named twice in broadcast instance `i`.
fn check_distinct(args: &[Arg], i: usize) -> Result<()> {
    let mut seen = HashSet::with_capacity(args.len());
    for a in args {
        if !seen.insert(a.bit(i)) {
            return Err(error(a.pos, format!("qubit {} is used twice in one gate", a.describe(i))));
        }
    }
    Ok(())
}
