//! The core's `Cond` and `Update` as DynamoDB expressions. Every name and value goes through a
//! placeholder, so attribute names that are reserved words (`ttl`, `status`, ...) just work and
//! no value is ever spliced into expression text.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use mdm_ports::{Cmp, Cond, Update};
use serde_json::Value;

use super::values::{PK, to_av};

/// One request's expressions and the placeholders they use.
#[derive(Debug, Default)]
pub struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub fn new() -> Self {
        Self::default()
    }

    fn name(&mut self, attr: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| a.as_str() == attr) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    fn value(&mut self, av: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), av);
        placeholder
    }

    /// A ConditionExpression equivalent to `Cond::holds`.
    pub fn condition(&mut self, cond: &Cond) -> String {
        match cond {
            Cond::Exists => format!("attribute_exists({})", self.name(PK)),
            Cond::NotExists => format!("attribute_not_exists({})", self.name(PK)),
            Cond::Eq(attr, v) => {
                let (n, v) = (self.name(attr), self.value(to_av(v)));
                format!("{n} = {v}")
            }
            // `<>` on a missing attribute is not documented to hold, so say it explicitly.
            Cond::Ne(attr, v) => {
                let (n, v) = (self.name(attr), self.value(to_av(v)));
                format!("(attribute_not_exists({n}) OR {n} <> {v})")
            }
            Cond::In(attr, vs) if vs.is_empty() => {
                let _ = attr;
                self.never()
            }
            Cond::In(attr, vs) => {
                let n = self.name(attr);
                let vs: Vec<String> = vs.iter().map(|v| self.value(to_av(v))).collect();
                format!("{n} IN ({})", vs.join(", "))
            }
            Cond::Num(attr, cmp, number) => {
                let n = self.name(attr);
                let v = self.value(to_av(&Value::from(*number)));
                let op = match cmp {
                    Cmp::Lt => "<",
                    Cmp::Le => "<=",
                    Cmp::Gt => ">",
                    Cmp::Ge => ">=",
                };
                // Only numbers compare, as in `holds`; saying so keeps emulators that fail on a
                // string-to-number comparison in line with DynamoDB, which answers false.
                let number_type = self.value(AttributeValue::S("N".into()));
                format!("(attribute_type({n}, {number_type}) AND {n} {op} {v})")
            }
            Cond::Absent(attr) => format!("attribute_not_exists({})", self.name(attr)),
            Cond::And(cs) if cs.is_empty() => self.always(),
            Cond::Or(cs) if cs.is_empty() => self.never(),
            // DynamoDB refuses redundant parentheses, so a single operand stands alone.
            Cond::And(cs) | Cond::Or(cs) if cs.len() == 1 => self.condition(&cs[0]),
            Cond::And(cs) => self.join(cs, " AND "),
            Cond::Or(cs) => self.join(cs, " OR "),
        }
    }

    fn join(&mut self, cs: &[Cond], op: &str) -> String {
        let parts: Vec<String> = cs.iter().map(|c| self.condition(c)).collect();
        format!("({})", parts.join(op))
    }

    fn always(&mut self) -> String {
        let n = self.name(PK);
        format!("(attribute_exists({n}) OR attribute_not_exists({n}))")
    }

    fn never(&mut self) -> String {
        let n = self.name(PK);
        format!("(attribute_exists({n}) AND attribute_not_exists({n}))")
    }

    /// An UpdateExpression equivalent to `Update::apply`. An empty update removes an attribute
    /// nothing uses, which DynamoDB accepts and which (like `apply`) creates a missing item.
    pub fn update(&mut self, update: &Update) -> String {
        let mut set = Vec::new();
        for (attr, v) in &update.set {
            let (n, v) = (self.name(attr), self.value(to_av(v)));
            set.push(format!("{n} = {v}"));
        }
        for (attr, v) in &update.set_if_absent {
            let (n, v) = (self.name(attr), self.value(to_av(v)));
            set.push(format!("{n} = if_not_exists({n}, {v})"));
        }
        for (attr, vs) in &update.append {
            let n = self.name(attr);
            let empty = self.value(AttributeValue::L(Vec::new()));
            let vs = self.value(AttributeValue::L(vs.iter().map(to_av).collect()));
            set.push(format!(
                "{n} = list_append(if_not_exists({n}, {empty}), {vs})"
            ));
        }
        let mut clauses = Vec::new();
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        if !update.add.is_empty() {
            let adds: Vec<String> = update
                .add
                .iter()
                .map(|(attr, k)| {
                    let (n, v) = (self.name(attr), self.value(to_av(&Value::from(*k))));
                    format!("{n} {v}")
                })
                .collect();
            clauses.push(format!("ADD {}", adds.join(", ")));
        }
        let mut removes: Vec<String> = update.remove.iter().map(|a| self.name(a)).collect();
        if clauses.is_empty() && removes.is_empty() {
            removes.push(self.name("__no_change__"));
        }
        if !removes.is_empty() {
            clauses.push(format!("REMOVE {}", removes.join(", ")));
        }
        clauses.join(" ")
    }

    /// The placeholders, or None when there are none (DynamoDB refuses empty maps).
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reserved_words_and_values_only_appear_as_placeholders() {
        let mut e = Expr::new();
        let text = e.condition(&Cond::And(vec![
            Cond::eq("status", "queued"),
            Cond::Num("ttl".into(), Cmp::Gt, 5),
        ]));
        assert_eq!(
            text,
            "(#n0 = :v0 AND (attribute_type(#n1, :v2) AND #n1 > :v1))"
        );
        assert_eq!(e.names().unwrap()["#n0"], "status");
        assert_eq!(e.values().unwrap()[":v1"], AttributeValue::N("5".into()));
    }

    #[test]
    fn an_update_lists_each_clause_once() {
        let mut e = Expr::new();
        let text = e.update(
            &Update::new()
                .set("a", 1)
                .set_if_absent("b", json!("x"))
                .add("n", 2)
                .append("h", json!({"s": 1}))
                .remove("gone"),
        );
        assert_eq!(
            text,
            "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1), #n2 = list_append(if_not_exists(#n2, :v2), :v3) ADD #n3 :v4 REMOVE #n4"
        );
    }

    #[test]
    fn a_name_used_twice_shares_its_placeholder() {
        let mut e = Expr::new();
        let text = e.condition(&Cond::Or(vec![Cond::Absent("x".into()), Cond::eq("x", 1)]));
        assert_eq!(text, "(attribute_not_exists(#n0) OR #n0 = :v0)");
    }
}
