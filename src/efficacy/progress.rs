//! Progress on stderr: a bar redrawn in place on a terminal, a plain line every
//! [`LINE_STEP_PERCENT`] % otherwise (logs and CI keep a readable record), or nothing.

use std::io::Write;

/// Width of the bar in characters.
const BAR_WIDTH: u64 = 30;
/// How often a plain progress line is written when stderr is not a terminal.
pub const LINE_STEP_PERCENT: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Redraw a bar with `\r` (stderr is a terminal).
    Bar,
    /// A line at every step.
    Lines,
    Off,
}

pub struct Progress<W: Write> {
    out: W,
    style: Style,
    total: u64,
    done: u64,
    /// The last percentage (bar) or step (lines) written.
    shown: Option<u64>,
}

impl<W: Write> Progress<W> {
    pub fn new(out: W, style: Style, total: u64) -> Progress<W> {
        Progress {
            out,
            style,
            total,
            done: 0,
            shown: None,
        }
    }

    /// One more case done.
    pub fn tick(&mut self) {
        self.done += 1;
        let pct = (self.done * 100)
            .checked_div(self.total)
            .unwrap_or(100)
            .min(100);
        match self.style {
            Style::Off => {}
            Style::Bar => {
                if self.shown != Some(pct) {
                    self.shown = Some(pct);
                    let filled = pct * BAR_WIDTH / 100;
                    let bar: String = (0..BAR_WIDTH)
                        .map(|i| if i < filled { '#' } else { '.' })
                        .collect();
                    let _ = write!(
                        self.out,
                        "\r[{bar}] {pct:>3}%  {}/{} test cases",
                        self.done, self.total
                    );
                    let _ = self.out.flush();
                }
            }
            Style::Lines => {
                let step = pct / LINE_STEP_PERCENT;
                if step > 0 && self.shown != Some(step) {
                    self.shown = Some(step);
                    let _ = writeln!(
                        self.out,
                        "efficacy: {}% ({}/{} test cases)",
                        step * LINE_STEP_PERCENT,
                        self.done,
                        self.total
                    );
                }
            }
        }
    }

    /// Ends the bar's line.
    pub fn finish(mut self) -> W {
        if self.style == Style::Bar && self.shown.is_some() {
            let _ = writeln!(self.out);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_every_ten_percent() {
        let mut p = Progress::new(Vec::new(), Style::Lines, 20);
        for _ in 0..20 {
            p.tick();
        }
        let text = String::from_utf8(p.finish()).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 10);
        assert_eq!(lines[0], "efficacy: 10% (2/20 test cases)");
        assert_eq!(lines[9], "efficacy: 100% (20/20 test cases)");
    }

    #[test]
    fn bar_redraws_once_per_percent_and_ends_the_line() {
        let mut p = Progress::new(Vec::new(), Style::Bar, 400);
        for _ in 0..400 {
            p.tick();
        }
        let text = String::from_utf8(p.finish()).unwrap();
        assert_eq!(text.matches('\r').count(), 101, "0% to 100%");
        assert!(text.ends_with("] 100%  400/400 test cases\n"), "{text:?}");
    }

    #[test]
    fn off_writes_nothing() {
        let mut p = Progress::new(Vec::new(), Style::Off, 3);
        p.tick();
        assert!(p.finish().is_empty());
    }
}
