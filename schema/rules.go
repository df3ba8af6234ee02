package schema

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
)

// The rules of the fields: each check names the field it refused.

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	hashPattern = regexp.MustCompile(`^0x[0-9a-f]{64}$`)
	addrPattern = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)
	noncePat    = regexp.MustCompile(`^(0|[1-9][0-9]{0,77})$`)
	maxUint256  = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
)

// ZeroHash is the predecessor hash of a first version.
const ZeroHash = "0x0000000000000000000000000000000000000000000000000000000000000000"

// MaxCents bounds every amount of money the registry records: 10^12 cents,
// ten billion euros. Money is integer euro cents; with every amount at most
// MaxCents, a sum of up to 9,223,372 amounts (agreements × years × lines)
// stays below 2^63 and so fits int64 and uint64 alike.
const MaxCents Uint = 1_000_000_000_000

// MaxTime bounds every point in time a message carries (a deadline, a key's
// validity): 253402300799, the last second of 9999-12-31 UTC, in Unix
// seconds. It keeps time arithmetic far from int64's wrap-around.
const MaxTime Uint = 253402300799

func checkCents(field string, v Uint) error {
	if v > MaxCents {
		return Invalid(field, "must be at most %d cents (ten billion euros)", MaxCents)
	}
	return nil
}

func checkTime(field string, v Uint) error {
	if v > MaxTime {
		return Invalid(field, "must be a Unix time in seconds up to %d (9999-12-31T23:59:59Z)", MaxTime)
	}
	return nil
}

func checkID(field, v string) error {
	if !idPattern.MatchString(v) {
		return Invalid(field, "must be 1–64 characters a–z, 0–9, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

func checkOptionalID(field, v string) error {
	if v == "" {
		return nil
	}
	return checkID(field, v)
}

func checkText(field, v string, min, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		return Invalid(field, "must be valid UTF-8")
	case strings.TrimSpace(v) != v:
		return Invalid(field, "must not begin or end with white space")
	case n < min:
		return Invalid(field, "must not be empty")
	case n > max:
		return Invalid(field, "must be at most %d characters", max)
	}
	return nil
}

func checkHash(field, v string) error {
	if !hashPattern.MatchString(v) {
		return Invalid(field, "must be a 32-byte hash: 0x and 64 lower-case hex digits")
	}
	return nil
}

func checkDate(field, v string) error {
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return Invalid(field, "must be a date YYYY-MM-DD")
	}
	return nil
}

func checkVersion(field string, v Uint) error {
	if v == 0 {
		return Invalid(field, "must be 1 or more")
	}
	return nil
}

func (r *Replay) check() error {
	if !noncePat.MatchString(r.Nonce) {
		return Invalid("message.nonce", "must be an unsigned 256-bit integer in canonical decimal")
	}
	if n, _ := new(big.Int).SetString(r.Nonce, 10); n.Cmp(maxUint256) > 0 {
		return Invalid("message.nonce", "must be below 2^256")
	}
	if r.Deadline == 0 {
		return Invalid("message.deadline", "must be a time in Unix seconds")
	}
	return checkTime("message.deadline", r.Deadline)
}

func canonicalAddress(a string) string {
	if !addrPattern.MatchString(a) {
		return a
	}
	return common.HexToAddress(a).Hex()
}

func checkAddress(field, a string) error {
	if !addrPattern.MatchString(a) {
		return Invalid(field, "must be an Ethereum address: 0x and 40 hex digits")
	}
	return nil
}

func lowerHash(h string) string {
	if strings.HasPrefix(h, "0x") || strings.HasPrefix(h, "0X") {
		return "0x" + strings.ToLower(h[2:])
	}
	return h
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func checkList(field string, items []string, max int, check func(string) error) error {
	if len(items) > max {
		return Invalid(field, "must hold at most %d entries", max)
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := check(it); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return Invalid(f, "%s", e.Rule)
			}
			return Invalid(f, "%v", err)
		}
		if seen[it] {
			return Invalid(f, "must not repeat %q", it)
		}
		seen[it] = true
	}
	return nil
}

// first returns the first non-nil error.
// fmtIndex names an element of a list field: field[i].
func fmtIndex(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
