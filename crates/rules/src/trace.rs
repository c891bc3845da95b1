//! Traces: every result says how it was reached, with the figures used and where they come from.
//!
//! Steps hold static labels and numbers only (no formatting), so tracing costs a push per step;
//! text is made when a trace is shown.

use rust_decimal::Decimal;

use crate::params::{Param, Status};

/// A value in a trace step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An amount in cents.
    Cents(i64),
    /// A rate or factor.
    Rate(Decimal),
    /// A count or age.
    Count(i64),
    /// A yes/no fact.
    Flag(bool),
}

/// One step: what, the value, and the source (law article or publication) if it is a parameter.
#[derive(Debug, Clone)]
pub struct Step {
    /// What this step is, in Dutch.
    pub label: &'static str,
    /// The value.
    pub value: Value,
    /// Where a parameter comes from.
    pub source: Option<&'static str>,
    /// How well that source is established.
    pub status: Option<Status>,
}

/// The steps of one calculation.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// The parameter file used.
    pub params_file: &'static str,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Trace {
    /// An empty trace for a calculation with parameters from `params_file`.
    pub fn new(params_file: &'static str) -> Self {
        Self {
            params_file,
            steps: Vec::with_capacity(12),
        }
    }

    /// Records a fact or intermediate value.
    pub fn step(&mut self, label: &'static str, value: Value) {
        self.steps.push(Step {
            label,
            value,
            source: None,
            status: None,
        });
    }

    /// Records a parameter with its source.
    pub fn param(&mut self, label: &'static str, p: &'static Param, value: Value) {
        self.steps.push(Step {
            label,
            value,
            source: Some(&p.source),
            status: Some(p.status),
        });
    }
}
