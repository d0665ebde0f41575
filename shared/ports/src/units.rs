//! Request-unit accounting the way DynamoDB bills it, shared by every backend so that local
//! benchmarks report the same cost per operation that AWS would charge.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of consumed units. Reads are kept in half units (an eventually consistent read of
/// up to 4 KB costs 0.5 RCU).
#[derive(Debug, Default)]
pub struct UnitMeter {
    read_halves: AtomicU64,
    writes: AtomicU64,
}

/// A point-in-time copy of a meter.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnitsSnapshot {
    pub read_units: f64,
    pub write_units: u64,
}

impl UnitsSnapshot {
    /// Units consumed between `earlier` and this snapshot.
    pub fn since(&self, earlier: &UnitsSnapshot) -> UnitsSnapshot {
        UnitsSnapshot {
            read_units: self.read_units - earlier.read_units,
            write_units: self.write_units - earlier.write_units,
        }
    }
}

impl UnitMeter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A read returning `bytes` in total (a get, or one query page).
    pub fn read(&self, bytes: usize, consistent: bool) {
        let blocks = bytes.div_ceil(4096).max(1) as u64;
        let halves = if consistent { blocks * 2 } else { blocks };
        self.read_halves.fetch_add(halves, Ordering::Relaxed);
    }

    /// A single-item write; DynamoDB bills the larger of the item before and after.
    pub fn write(&self, bytes_before: usize, bytes_after: usize) {
        self.writes.fetch_add(
            write_units(bytes_before.max(bytes_after)),
            Ordering::Relaxed,
        );
    }

    /// A transactional write costs twice a plain one.
    pub fn transact_write(&self, bytes_before: usize, bytes_after: usize) {
        self.writes.fetch_add(
            2 * write_units(bytes_before.max(bytes_after)),
            Ordering::Relaxed,
        );
    }

    pub fn snapshot(&self) -> UnitsSnapshot {
        UnitsSnapshot {
            read_units: self.read_halves.load(Ordering::Relaxed) as f64 / 2.0,
            write_units: self.writes.load(Ordering::Relaxed),
        }
    }
}

fn write_units(bytes: usize) -> u64 {
    bytes.div_ceil(1024).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_write_costs_one_unit_and_a_small_read_half() {
        let m = UnitMeter::new();
        m.write(0, 300);
        m.read(300, false);
        assert_eq!(
            m.snapshot(),
            UnitsSnapshot {
                read_units: 0.5,
                write_units: 1
            }
        );
    }

    #[test]
    fn a_write_is_billed_on_the_larger_image_and_transactions_double() {
        let m = UnitMeter::new();
        m.write(2100, 10);
        m.transact_write(10, 10);
        assert_eq!(m.snapshot().write_units, 3 + 2);
    }
}
