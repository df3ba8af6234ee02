// Package identifier validates the identifiers of German public
// administration that the registry records: Amtlicher Regionalschlüssel
// (ARS), Amtlicher Gemeindeschlüssel (AGS), Leitweg-ID, LeiKa/FIM service
// keys, OZG-IDs and the OZG Themenfelder. Each check returns nil or an error
// that states the rule the value breaks.
package identifier

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
)

var (
	digits12 = regexp.MustCompile(`^[0-9]{12}$`)
	digits8  = regexp.MustCompile(`^[0-9]{8}$`)
	digits14 = regexp.MustCompile(`^[0-9]{14}$`)
	ozgID    = regexp.MustCompile(`^[1-9][0-9]{4}$`)
	leitweg  = regexp.MustCompile(`^([0-9]{2,12})(?:-([0-9A-Z]{1,30}))?-([0-9]{2})$`)
)

// Land returns the name of the Land with a two-digit Länderschlüssel (01–16).
func Land(code string) (string, bool) {
	i := slices.IndexFunc(lands, func(l [2]string) bool { return l[0] == code })
	if i < 0 {
		return "", false
	}
	return lands[i][1], true
}

var lands = [][2]string{
	{"01", "Schleswig-Holstein"}, {"02", "Hamburg"}, {"03", "Niedersachsen"}, {"04", "Bremen"},
	{"05", "Nordrhein-Westfalen"}, {"06", "Hessen"}, {"07", "Rheinland-Pfalz"}, {"08", "Baden-Württemberg"},
	{"09", "Bayern"}, {"10", "Saarland"}, {"11", "Berlin"}, {"12", "Brandenburg"},
	{"13", "Mecklenburg-Vorpommern"}, {"14", "Sachsen"}, {"15", "Sachsen-Anhalt"}, {"16", "Thüringen"},
}

func checkLand(s string) error {
	if _, ok := Land(s[:2]); !ok {
		return fmt.Errorf("must begin with a Land code 01–16, not %q", s[:2])
	}
	return nil
}

// ARS checks an Amtlicher Regionalschlüssel: 12 digits, the first two a Land code.
func ARS(s string) error {
	if !digits12.MatchString(s) {
		return errors.New("must be 12 digits")
	}
	return checkLand(s)
}

// AGS checks an Amtlicher Gemeindeschlüssel: 8 digits, the first two a Land code.
func AGS(s string) error {
	if !digits8.MatchString(s) {
		return errors.New("must be 8 digits")
	}
	return checkLand(s)
}

// AGSFromARS derives the AGS of an ARS: ARS[0:5] + ARS[9:12].
func AGSFromARS(ars string) string { return ars[:5] + ars[9:] }

// ARSMatchesAGS checks that an ARS and an AGS name the same municipality.
func ARSMatchesAGS(ars, ags string) error {
	if want := AGSFromARS(ars); want != ags {
		return fmt.Errorf("AGS must equal ARS[0:5]+ARS[9:12] = %s", want)
	}
	return nil
}

// LeitwegID checks a Leitweg-ID (the buyer reference of XRechnung, BT-10):
// coarse ID of 2–12 digits, optional fine ID of up to 30 digits or capital
// letters, and two check digits by ISO 7064 MOD 97-10 over both parts
// (letters count A=10 … Z=35), as in 04011000-1234512345-06.
func LeitwegID(s string) error {
	m := leitweg.FindStringSubmatch(s)
	if m == nil {
		return errors.New("must be coarse ID (2–12 digits), optional fine ID (up to 30 digits or capital letters) and 2 check digits, joined by '-'")
	}
	var num strings.Builder
	for _, r := range m[1] + m[2] {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprintf(&num, "%d", r-'A'+10)
			continue
		}
		num.WriteRune(r)
	}
	num.WriteString(m[3])
	n, ok := new(big.Int).SetString(num.String(), 10)
	if !ok || new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return errors.New("check digits do not match (ISO 7064 MOD 97-10)")
	}
	return nil
}

// LeitwegCheckDigits computes the two check digits for a coarse and fine ID.
func LeitwegCheckDigits(coarse, fine string) string {
	var num strings.Builder
	for _, r := range coarse + fine {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprintf(&num, "%d", r-'A'+10)
			continue
		}
		num.WriteRune(r)
	}
	num.WriteString("00")
	n, _ := new(big.Int).SetString(num.String(), 10)
	return fmt.Sprintf("%02d", 98-new(big.Int).Mod(n, big.NewInt(97)).Int64())
}

// LeiKa checks a LeiKa/FIM service key: exactly 14 digits.
func LeiKa(s string) error {
	if !digits14.MatchString(s) {
		return errors.New("must be 14 digits")
	}
	return nil
}

// OZGID checks an OZG-ID: five digits, as the OZG catalogue numbers its
// services (e.g. 10255 Aufenthaltstitel).
func OZGID(s string) error {
	if !ozgID.MatchString(s) {
		return errors.New("must be 5 digits, not starting with 0")
	}
	return nil
}

// Themenfelder are the 14 OZG Themenfelder, spelled as the registry records them.
var Themenfelder = []string{
	"Arbeit & Ruhestand",
	"Bauen & Wohnen",
	"Bildung",
	"Ein- & Auswanderung",
	"Engagement & Hobby",
	"Familie & Kind",
	"Forschung & Förderung",
	"Gesundheit",
	"Mobilität & Reisen",
	"Querschnittsleistungen",
	"Recht & Ordnung",
	"Steuern & Zoll",
	"Umwelt",
	"Unternehmensführung & -entwicklung",
}

// Themenfeld checks that s is one of the 14 Themenfelder.
func Themenfeld(s string) error {
	if !slices.Contains(Themenfelder, s) {
		return fmt.Errorf("must be one of the 14 OZG Themenfelder: %s", strings.Join(Themenfelder, ", "))
	}
	return nil
}
