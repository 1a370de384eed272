//! Number formatting exactly as DAPHNE's C++ prints it: `std::ostream << double` (six significant
//! digits, `%g` style: `1e+06`, `0.0001`, `-0`, `nan`, `inf`) and `std::to_string` (`%f`: six
//! decimals), so that `print` output is byte-identical.

/// `std::cout << x` for a double with the default precision 6 (C's `%g`).
pub fn fmt_g(x: f64) -> String {
    fmt_g_prec(x, 6)
}

/// C's `%.{p}g`.
pub fn fmt_g_prec(x: f64, p: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let p = p.max(1);
    // The decimal exponent after rounding to p significant digits.
    let sci = format!("{:.*e}", p - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let m = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, x)).to_string()
    }
}

/// Removes trailing zeros of a fraction, and the point if nothing follows it.
fn strip_zeros(s: &str) -> &str {
    if !s.contains('.') {
        return s;
    }
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s)
}

/// `std::to_string(double)`: C's `%f`.
pub fn to_string_f(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    format!("{x:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)]
    fn g_format_matches_cpp() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (1.5, "1.5"),
            (1000.0, "1000"),
            (1.0001, "1.0001"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.23457e+06"),
            (1e-6, "1e-06"),
            (0.0001, "0.0001"),
            (0.00012345678, "0.000123457"),
            (1e13, "1e+13"),
            (3.14159265, "3.14159"),
            (-2.5, "-2.5"),
            (1.10905, "1.10905"),
            (2.0 / 3.0, "0.666667"),
            (100000.5, "100000"),
            (999999.5, "1e+06"),
            (1e100, "1e+100"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.1 + 0.2, "0.3"),
        ];
        for (x, want) in cases {
            assert_eq!(fmt_g(*x), *want, "{x}");
        }
    }

    #[test]
    fn to_string_matches_cpp() {
        assert_eq!(to_string_f(1.5), "1.500000");
        assert_eq!(to_string_f(-0.25), "-0.250000");
        assert_eq!(to_string_f(1e10), "10000000000.000000");
    }
}
