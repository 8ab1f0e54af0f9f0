//! Rounding half away from zero without a library call: `f32::round` / `f64::round` compile to
//! a call into libm on baseline x86-64 (no SSE4.1), and every post rounds a few dozen numbers
//! (explanation weights, VADER scores) on its way into JSON.

/// `round()` (half away from zero) by truncation, exact for every finite value.
pub trait RoundHalfAway: Copy {
    /// The same value as the standard `round()`.
    fn round_half_away(self) -> Self;
}

macro_rules! round_half_away {
    ($float:ty, $int:ty) => {
        impl RoundHalfAway for $float {
            #[inline]
            fn round_half_away(self) -> Self {
                // Beyond 2^(mantissa bits) every float is an integer already; NaN and the
                // infinities go through as they are.
                const EXACT: $float = (1u64 << <$float>::MANTISSA_DIGITS) as $float;
                if self.is_nan() || self.abs() >= EXACT {
                    return self;
                }
                let truncated = self as $int as $float;
                // Exact: below 2^(mantissa bits) a float's fractional part is itself a float.
                let fraction = self - truncated;
                // One step away from zero when the fraction is at least a half, chosen by
                // arithmetic (these fractions are data: branches on them mispredicted). The
                // sign of `self` goes on the result: -0.4 → -0.0 like `round()`, and a step
                // never changes the sign of a non-zero result.
                let step = <$int>::from(fraction >= 0.5) - <$int>::from(fraction <= -0.5);
                (truncated + step as $float).copysign(self)
            }
        }
    };
}

round_half_away!(f32, i32);
round_half_away!(f64, i64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_round() {
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            4503599627370497.0,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut x = 0.000_123_f64;
        while x < 1e7 {
            values.extend([x, -x, x * 1000.0 + 0.5, -(x * 1000.0 + 0.5)]);
            x *= 1.000_37;
        }
        for &v in &values {
            assert_eq!(
                v.round_half_away().to_bits(),
                v.round().to_bits(),
                "f64 {v:?}"
            );
            let f = v as f32;
            assert_eq!(
                f.round_half_away().to_bits(),
                f.round().to_bits(),
                "f32 {f:?}"
            );
        }
        for bits in (0..u32::MAX).step_by(9_973) {
            let f = f32::from_bits(bits);
            if f.is_nan() {
                assert!(f.round_half_away().is_nan());
            } else {
                assert_eq!(
                    f.round_half_away().to_bits(),
                    f.round().to_bits(),
                    "f32 {f:?}"
                );
            }
        }
        assert!(f64::NAN.round_half_away().is_nan());
    }
}
