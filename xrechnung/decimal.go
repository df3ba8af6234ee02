package xrechnung

import (
	"math/big"
	"regexp"
	"strings"
	"time"
)

// The rules compute with exact decimals (XPath xs:decimal); big.Rat represents them.

var decimalPattern = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// parseDecimal parses an xs:decimal lexical value (surrounding whitespace allowed).
func parseDecimal(s string) (*big.Rat, bool) {
	s = strings.Trim(s, " \t\r\n")
	if !decimalPattern.MatchString(s) {
		return nil, false
	}
	s = strings.TrimPrefix(s, "+")
	if strings.HasSuffix(s, ".") {
		s += "0"
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// decimalOf returns the decimal value of n; ok is false when n is nil or not a decimal.
func decimalOf(n *node) (*big.Rat, bool) {
	if n == nil {
		return nil, false
	}
	return parseDecimal(n.value())
}

// sumOf adds the decimal values of nodes; ok is false if any is not a decimal.
func sumOf(nodes []*node) (*big.Rat, bool) {
	sum := new(big.Rat)
	for _, n := range nodes {
		v, ok := decimalOf(n)
		if !ok {
			return nil, false
		}
		sum.Add(sum, v)
	}
	return sum, true
}

var (
	ratHalf    = big.NewRat(1, 2)
	ratHundred = big.NewRat(100, 1)
)

// roundRat implements XPath round(): the nearest integer, halves rounded towards +∞.
func roundRat(r *big.Rat) *big.Rat {
	x := new(big.Rat).Add(r, ratHalf)
	q := new(big.Int).Div(x.Num(), x.Denom()) // Euclidean division by a positive denominator is floor
	return new(big.Rat).SetInt(q)
}

// round2 implements the rules' round(x * 10 * 10) div 100.
func round2(r *big.Rat) *big.Rat {
	x := roundRat(new(big.Rat).Mul(r, ratHundred))
	return x.Quo(x, ratHundred)
}

// add, sub, mul and absRat are allocation-friendly helpers on big.Rat.
func add(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }
func sub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
func mul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }
func absRat(a *big.Rat) *big.Rat { return new(big.Rat).Abs(a) }

// ratInt returns the integer i as a big.Rat.
func ratInt(i int64) *big.Rat { return big.NewRat(i, 1) }

// fmtRat writes r as a decimal for messages.
func fmtRat(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(6)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// fractionDigits implements string-length(substring-after(s, '.')), the test of the BR-DEC rules.
func fractionDigits(s string) int {
	_, after, found := strings.Cut(s, ".")
	if !found {
		return 0
	}
	return len([]rune(after))
}

// parseDate parses an xs:date ("YYYY-MM-DD", optionally with a time zone, which is ignored).
func parseDate(s string) (time.Time, bool) {
	s = strings.Trim(s, " \t\r\n")
	if len(s) < 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	if err != nil {
		return time.Time{}, false
	}
	switch rest := s[10:]; {
	case rest == "", rest == "Z", len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		return t, true
	}
	return time.Time{}, false
}
