package identifier_test

import (
	"encoding/csv"
	"os"
	"testing"

	"github.com/efa-marktplatz/registry/schema/identifier"
	"github.com/stretchr/testify/require"
)

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) error
		value string
		ok    bool
	}{
		{"ARS Köln", identifier.ARS, "053150000000", true},
		{"ARS too short", identifier.ARS, "05315000000", false},
		{"ARS with letter", identifier.ARS, "05315000000x", false},
		{"ARS Land 00", identifier.ARS, "003150000000", false},
		{"ARS Land 17", identifier.ARS, "173150000000", false},
		{"AGS Köln", identifier.AGS, "05315000", true},
		{"AGS Schwerin", identifier.AGS, "13004000", true},
		{"AGS 9 digits", identifier.AGS, "053150000", false},
		{"AGS Land 99", identifier.AGS, "99315000", false},
		{"Leitweg-ID of the brief", identifier.LeitwegID, "04011000-1234512345-06", true},
		{"Leitweg-ID wrong check digits", identifier.LeitwegID, "04011000-1234512345-07", false},
		{"Leitweg-ID without fine ID", identifier.LeitwegID, "991-" + identifier.LeitwegCheckDigits("991", ""), true},
		{"Leitweg-ID with letters", identifier.LeitwegID, "053150000000-ABC12-" + identifier.LeitwegCheckDigits("053150000000", "ABC12"), true},
		{"Leitweg-ID lower case", identifier.LeitwegID, "04011000-abc-06", false},
		{"Leitweg-ID no check digits", identifier.LeitwegID, "04011000-1234512345", false},
		{"Leitweg-ID coarse too long", identifier.LeitwegID, "0401100012345-06", false},
		{"LeiKa 14 digits", identifier.LeiKa, "99102013000000", true},
		{"LeiKa 13 digits", identifier.LeiKa, "9910201300000", false},
		{"OZG-ID Aufenthaltstitel", identifier.OZGID, "10255", true},
		{"OZG-ID 4 digits", identifier.OZGID, "1025", false},
		{"OZG-ID leading zero", identifier.OZGID, "01025", false},
		{"Themenfeld", identifier.Themenfeld, "Bauen & Wohnen", true},
		{"Themenfeld other spelling", identifier.Themenfeld, "Bauen und Wohnen", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check(tc.value)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
	require.Len(t, identifier.Themenfelder, 14)
	require.NoError(t, identifier.ARSMatchesAGS("053150000000", "05315000"))
	require.Error(t, identifier.ARSMatchesAGS("053150000000", "05315001"))
}

// Every ARS and AGS in the reference table (a copy of ../shared/data, with
// its sources) is valid, and they agree.
func TestReferenceMunicipalities(t *testing.T) {
	f, err := os.Open("testdata/municipalities.csv")
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"name", "kind", "land", "ars", "ags"}, rows[0][:5])
	for _, r := range rows[1:] {
		ars, ags := r[3], r[4]
		if ags != "" {
			require.NoError(t, identifier.AGS(ags), r[0])
		}
		if ars != "" {
			require.NoError(t, identifier.ARS(ars), r[0])
			require.NoError(t, identifier.ARSMatchesAGS(ars, ags), r[0])
		}
	}
}
