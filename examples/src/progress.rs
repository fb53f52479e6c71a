//! Progress of long runs on stderr: a live bar on a terminal ([`EventProgress`]), plain lines in
//! a log ([`PlainProgress`]).
//!
//! Without a terminal (`2>log`, a batch system) a bar draws nothing, so a run would be silent
//! between its start and its result. [`PlainProgress`] prints a line when a stage starts, for
//! every note, and for a counted stage (iterations, epochs) whenever it has moved 5% since the
//! last line or [`PLAIN_INTERVAL`] has passed, whichever comes first; a stage that reports
//! nothing for that long gets a line saying it is still running. Each line says the time since
//! the start, the stage, `i/N`, the loss and the stage's elapsed time and ETA:
//!
//! ```text
//! [   41.2 s] quantum reverse process: quantum iteration 40/100 (40%), loss 0.01234, elapsed 12.3 s, ETA 18.5 s
//! ```

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::mnist::event::Event;

/// The longest a running stage goes without a plain line.
pub const PLAIN_INTERVAL: Duration = Duration::from_secs(10);

/// A counted stage moves this fraction of its total between plain lines at most.
pub const PLAIN_STEP: f64 = 0.05;

/// Plain progress lines on a writer (stderr by default), at least every [`PLAIN_INTERVAL`] while
/// a stage runs (from a background thread that stops when this is dropped).
pub struct PlainProgress {
    state: Arc<Mutex<Plain>>,
    stop: Option<Sender<()>>,
    ticker: Option<JoinHandle<()>>,
}

/// What [`PlainProgress`] knows: the run, the stage, its count, the last line.
struct Plain {
    out: Box<dyn Write + Send>,
    interval: Duration,
    start: Instant,
    stage: Option<(String, Instant)>,
    count: Option<Count>,
    last_line: Instant,
    /// When the last stage started or count moved: where the next count's first unit began.
    last_report: Instant,
}

/// The count of a stage: `done` of `total` `what`s, and where and when this process started
/// counting (a resumed run starts part-way; its ETA is from its own rate).
struct Count {
    what: String,
    done: usize,
    total: usize,
    detail: String,
    first_done: usize,
    first_at: Instant,
    printed_done: usize,
}

impl PlainProgress {
    /// Lines on stderr, at least every [`PLAIN_INTERVAL`].
    pub fn new() -> Self {
        Self::to_writer(Box::new(std::io::stderr()), PLAIN_INTERVAL)
    }

    /// Lines on `out`, at least every `interval` while a stage runs.
    pub fn to_writer(out: Box<dyn Write + Send>, interval: Duration) -> Self {
        let now = Instant::now();
        let state = Arc::new(Mutex::new(Plain {
            out,
            interval,
            start: now,
            stage: None,
            count: None,
            last_line: now,
            last_report: now,
        }));
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = Arc::clone(&state);
        let tick = (interval / 10).min(Duration::from_secs(1));
        let ticker = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                let mut plain = lock(&shared);
                if plain.stage.is_some() && plain.last_line.elapsed() >= plain.interval {
                    plain.status_line();
                }
            }
        });
        Self { state, stop: Some(stop), ticker: Some(ticker) }
    }

    /// A stage starts (and the previous one's count ends).
    pub fn stage(&self, name: &str) {
        let mut plain = lock(&self.state);
        plain.stage = Some((name.to_string(), Instant::now()));
        plain.count = None;
        plain.last_report = Instant::now();
        let text = format!("stage: {name}");
        plain.line(&text);
    }

    /// The run's stages are over: no more lines until the next stage.
    pub fn finish(&self) {
        let mut plain = lock(&self.state);
        plain.stage = None;
        plain.count = None;
    }

    /// A note, printed as it comes.
    pub fn note(&self, text: &str) {
        lock(&self.state).line(&format!("  {text}"));
    }

    /// The stage's count is at `done` of `total` `what`s; `detail` (e.g. `loss 0.0123`) goes
    /// on its line. Prints when the count has moved [`PLAIN_STEP`] of `total` since the last
    /// line, at its first report and its end, or when [`PLAIN_INTERVAL`] has passed.
    pub fn advance(&self, what: &str, done: usize, total: usize, detail: String) {
        let mut plain = lock(&self.state);
        let now = Instant::now();
        let restart = match &plain.count {
            Some(c) => c.what != what || c.total != total || done < c.done,
            None => true,
        };
        if restart {
            // The first report of a count: this process counted one step, since the last report.
            let first_done = done.saturating_sub(1);
            let what = what.to_string();
            let (first_at, printed_done) = (plain.last_report, first_done);
            plain.count =
                Some(Count { what, done, total, detail, first_done, first_at, printed_done });
        } else if let Some(c) = &mut plain.count {
            c.done = done;
            c.detail = detail;
        }
        let due = restart
            || plain.count.as_ref().is_some_and(|c| {
                let moved = (c.done - c.printed_done.min(c.done)) as f64;
                c.done == c.total || moved >= PLAIN_STEP * c.total as f64
            });
        plain.last_report = now;
        if due || plain.last_line.elapsed() >= plain.interval {
            plain.status_line();
        }
    }
}

impl Default for PlainProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PlainProgress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

impl Plain {
    /// Prints `text` stamped with the time since the start.
    fn line(&mut self, text: &str) {
        let stamp = self.start.elapsed().as_secs_f64();
        let _ = writeln!(self.out, "[{stamp:>7.1} s] {text}");
        let _ = self.out.flush();
        self.last_line = Instant::now();
    }

    /// The stage's line: its count, loss, elapsed time and ETA (or that it is still running).
    fn status_line(&mut self) {
        let Some((stage, began)) = &self.stage else { return };
        let mut text = format!("{stage}: ");
        let elapsed = began.elapsed().as_secs_f64();
        match &mut self.count {
            Some(c) => {
                let percent = 100.0 * c.done as f64 / c.total.max(1) as f64;
                let _ = write!(text, "{} {}/{} ({percent:.0}%)", c.what, c.done, c.total);
                if !c.detail.is_empty() {
                    let _ = write!(text, ", {}", c.detail);
                }
                let _ = write!(text, ", elapsed {elapsed:.1} s, ETA ");
                let counted = c.done.saturating_sub(c.first_done);
                if counted > 0 {
                    let per = c.first_at.elapsed().as_secs_f64() / counted as f64;
                    let _ = write!(text, "{:.1} s", per * c.total.saturating_sub(c.done) as f64);
                } else {
                    text.push('?');
                }
                c.printed_done = c.done;
            }
            None => {
                let _ = write!(text, "still running, elapsed {elapsed:.1} s");
            }
        }
        self.line(&text);
    }
}

/// The state, even if a thread panicked while holding it (it only formats lines).
fn lock(state: &Mutex<Plain>) -> MutexGuard<'_, Plain> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Shows the [`Event`]s of a run on stderr: a bar on a terminal, [`PlainProgress`] lines
/// otherwise, or nothing (the ranks of an MPI job other than the first).
pub enum EventProgress {
    /// A live bar (stderr is a terminal).
    Bar(Box<TerminalBar>),
    /// Plain lines (stderr is not a terminal).
    Plain(PlainProgress),
    /// Nothing.
    Hidden,
}

impl EventProgress {
    /// A bar if stderr is a terminal, plain lines otherwise.
    pub fn for_stderr() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::Plain(PlainProgress::new());
        }
        let bar = ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(200));
        let spinner = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}");
        let counter = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {prefix} {bar:30} {pos}/{len} {msg} (ETA {eta})",
        );
        match (spinner, counter) {
            (Ok(spinner), Ok(counter)) => {
                Self::Bar(Box::new(TerminalBar { bar, spinner, counter }))
            }
            // The templates are constants: unreachable, but plain lines are a fine fallback.
            _ => Self::Plain(PlainProgress::new()),
        }
    }

    /// Shows `event`.
    pub fn on_event(&self, event: Event<'_>) {
        match self {
            Self::Bar(bar) => bar.show(event),
            Self::Plain(plain) => match event {
                Event::Stage(name) => plain.stage(name),
                Event::Note(text) => plain.note(&text),
                Event::Epoch { model, report, epochs } => plain.advance(
                    &format!("{model} epoch"),
                    report.epoch,
                    epochs,
                    format!("loss {:.4}", report.loss),
                ),
                Event::Iteration { done, total, loss } => {
                    plain.advance("quantum iteration", done, total, format!("loss {loss:.5}"))
                }
            },
            Self::Hidden => {}
        }
    }

    /// Ends the display before the results are printed (removes the bar, stops the lines).
    pub fn finish(&self) {
        match self {
            Self::Bar(bar) => bar.bar.finish_and_clear(),
            Self::Plain(plain) => plain.finish(),
            Self::Hidden => {}
        }
    }
}

/// A live bar on the terminal, and its two styles.
pub struct TerminalBar {
    bar: ProgressBar,
    /// While a stage runs without a count.
    spinner: ProgressStyle,
    /// While a count runs.
    counter: ProgressStyle,
}

impl TerminalBar {
    /// Shows `event` on the bar.
    fn show(&self, event: Event<'_>) {
        let bar = &self.bar;
        match event {
            Event::Stage(name) => {
                bar.set_style(self.spinner.clone());
                bar.set_message(name.to_string());
            }
            Event::Note(text) => bar.println(format!("  {text}")),
            Event::Epoch { model, report, epochs } => {
                bar.set_style(self.counter.clone());
                bar.set_prefix(model.to_string());
                bar.set_length(epochs as u64);
                bar.set_position(report.epoch as u64);
                bar.set_message(format!("loss {:.4}", report.loss));
            }
            Event::Iteration { done, total, loss } => {
                if bar.length() != Some(total as u64) || done <= 1 {
                    bar.set_style(self.counter.clone());
                    bar.set_prefix("quantum");
                    bar.set_length(total as u64);
                    bar.reset_eta();
                }
                bar.set_position(done as u64);
                bar.set_message(format!("loss {loss:.5}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer into a shared buffer, to read what was printed.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn lines(&self) -> Vec<String> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(String::from)
                .collect()
        }
    }

    #[test]
    fn a_counted_stage_prints_every_five_percent_with_loss_elapsed_and_eta() {
        let buffer = Buffer::default();
        let progress = PlainProgress::to_writer(Box::new(buffer.clone()), Duration::from_secs(60));
        progress.stage("quantum reverse process");
        for i in 1..=200 {
            progress.advance("quantum iteration", i, 200, format!("loss {:.3}", 1.0 / i as f64));
        }
        drop(progress);
        let lines = buffer.lines();
        assert!(lines[0].ends_with("stage: quantum reverse process"), "{lines:?}");
        let counted: Vec<&String> = lines.iter().filter(|l| l.contains("/200")).collect();
        // One line at the first report, then every 10 of 200 iterations (5%), the last at 200.
        assert_eq!(counted.len(), 21, "{lines:?}");
        let last = counted.last().unwrap();
        assert!(last.contains("quantum reverse process: quantum iteration 200/200 (100%)"));
        assert!(
            last.contains("loss 0.005") && last.contains("elapsed ") && last.contains("ETA 0.0 s")
        );
    }

    #[test]
    fn a_silent_stage_still_gets_a_line_every_interval() {
        let buffer = Buffer::default();
        let interval = Duration::from_millis(40);
        let progress = PlainProgress::to_writer(Box::new(buffer.clone()), interval);
        progress.stage("quantum sampling");
        std::thread::sleep(interval * 8);
        drop(progress);
        let still =
            buffer.lines().iter().filter(|l| l.contains("quantum sampling: still running")).count();
        assert!(still >= 2, "{:?}", buffer.lines());
    }

    #[test]
    fn a_resumed_count_estimates_from_its_own_start() {
        let buffer = Buffer::default();
        let progress = PlainProgress::to_writer(Box::new(buffer.clone()), Duration::from_secs(60));
        progress.stage("training");
        std::thread::sleep(Duration::from_millis(100));
        progress.advance("iteration", 51, 100, String::new());
        drop(progress);
        let lines = buffer.lines();
        // One iteration in 0.1 s since the stage began: 49 to go take about 4.9 s.
        let line = &lines[1];
        assert!(line.contains("training: iteration 51/100 (51%), elapsed "), "{line}");
        let eta: f64 = line.rsplit("ETA ").next().unwrap().trim_end_matches(" s").parse().unwrap();
        assert!((4.9..15.0).contains(&eta), "{line}");
    }
}
