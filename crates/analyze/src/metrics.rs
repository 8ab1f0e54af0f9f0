//! Classification metrics for evaluation: a confusion matrix with accuracy, macro recall and
//! macro F1 (the published anchors' metrics).

/// Counts of (gold, predicted) pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Confusion {
    classes: usize,
    counts: Vec<u64>,
}

impl Confusion {
    pub fn new(classes: usize) -> Confusion {
        Confusion {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Records one decision; out-of-range classes are ignored.
    pub fn add(&mut self, gold: usize, predicted: usize) {
        if gold < self.classes && predicted < self.classes {
            self.counts[gold * self.classes + predicted] += 1;
        }
    }

    fn at(&self, gold: usize, predicted: usize) -> f64 {
        self.counts[gold * self.classes + predicted] as f64
    }

    /// Number of decisions recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn accuracy(&self) -> f64 {
        let correct: f64 = (0..self.classes).map(|c| self.at(c, c)).sum();
        correct / (self.total().max(1) as f64)
    }

    /// Recall of one class (0 when it never occurs).
    pub fn recall(&self, class: usize) -> f64 {
        let gold: f64 = (0..self.classes).map(|p| self.at(class, p)).sum();
        if gold == 0.0 {
            0.0
        } else {
            self.at(class, class) / gold
        }
    }

    /// Precision of one class (0 when it is never predicted).
    pub fn precision(&self, class: usize) -> f64 {
        let predicted: f64 = (0..self.classes).map(|g| self.at(g, class)).sum();
        if predicted == 0.0 {
            0.0
        } else {
            self.at(class, class) / predicted
        }
    }

    pub fn f1(&self, class: usize) -> f64 {
        let (p, r) = (self.precision(class), self.recall(class));
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Mean recall over the classes that occur in the gold labels.
    pub fn macro_recall(&self) -> f64 {
        let present: Vec<usize> = (0..self.classes)
            .filter(|c| (0..self.classes).any(|p| self.at(*c, p) > 0.0))
            .collect();
        present.iter().map(|c| self.recall(*c)).sum::<f64>() / present.len().max(1) as f64
    }

    /// Mean F1 over the classes that occur in the gold labels or the predictions.
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<usize> = (0..self.classes)
            .filter(|c| (0..self.classes).any(|o| self.at(*c, o) > 0.0 || self.at(o, *c) > 0.0))
            .collect();
        present.iter().map(|c| self.f1(*c)).sum::<f64>() / present.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_textbook_figures() {
        let mut c = Confusion::new(2);
        for (g, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (1, 0), (1, 1)] {
            c.add(g, p);
        }
        assert!((c.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        assert!((c.recall(0) - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.macro_recall() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.macro_f1() - 2.0 / 3.0).abs() < 1e-12);
        c.add(5, 0);
        assert_eq!(c.total(), 6);
    }
}
