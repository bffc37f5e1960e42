//! The dual writer's mode, switched at run time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use serde::Serialize;

/// How a [`DualWriter`](super::DualWriter) treats the secondary table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Mode {
    /// The primary alone: the secondary is not needed, nor opened.
    Off,
    /// The primary and, under the same key lock, the secondary; a secondary failure is
    /// logged, counted and exported, never returned.
    Shadow,
    /// Both or neither: within one database one transaction; across databases the
    /// secondary first, then the primary, and on its failure the secondary's change undone.
    Both,
}

impl Mode {
    /// The mode's name, as metrics and logs label it.
    ///
    /// ```
    /// assert_eq!(upcast_migrate::dual::Mode::Both.name(), "both");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Shadow => "shadow",
            Mode::Both => "both",
        }
    }

    fn from_code(code: u8) -> Mode {
        match code {
            1 => Mode::Shadow,
            2 => Mode::Both,
            _ => Mode::Off,
        }
    }

    fn code(self) -> u8 {
        match self {
            Mode::Off => 0,
            Mode::Shadow => 1,
            Mode::Both => 2,
        }
    }
}

/// A handle that switches a [`DualWriter`](super::DualWriter)'s mode from anywhere (an
/// admin endpoint, a config watcher), at run time; the next write follows it.
///
/// ```
/// use upcast_migrate::dual::{Mode, Switch};
/// let switch = Switch::new(Mode::Off);
/// switch.set(Mode::Shadow);
/// assert_eq!(switch.clone().get(), Mode::Shadow);
/// ```
#[derive(Clone, Debug)]
pub struct Switch(Arc<AtomicU8>);

impl Switch {
    /// A switch set to `mode`.
    pub fn new(mode: Mode) -> Self {
        Switch(Arc::new(AtomicU8::new(mode.code())))
    }

    /// Sets the mode.
    pub fn set(&self, mode: Mode) {
        self.0.store(mode.code(), Ordering::SeqCst);
    }

    /// The mode now.
    pub fn get(&self) -> Mode {
        Mode::from_code(self.0.load(Ordering::SeqCst))
    }
}
