package xrechnung

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sampleCase is one row of testdata/samples/cases.tsv: the official validator's verdict on a
// reference invoice.
type sampleCase struct {
	file    string
	profile Profile
	valid   bool
	rules   []string
}

// readCases parses cases.tsv.
func readCases(t *testing.T) []sampleCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "samples", "cases.tsv"))
	require.NoError(t, err)
	defer f.Close()
	var cases []sampleCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		require.GreaterOrEqual(t, len(cols), 4, "malformed line %q", line)
		sc := sampleCase{file: cols[0], profile: XRechnung, rules: strings.Fields(cols[3])}
		switch cols[1] {
		case "":
		case "--en16931":
			sc.profile = EN16931
		default:
			t.Fatalf("unknown validator option %q in %q", cols[1], line)
		}
		switch cols[2] {
		case "valid":
			sc.valid = true
		case "invalid":
			require.NotEmpty(t, sc.rules, "invalid case without rule ids: %q", line)
		default:
			t.Fatalf("unknown verdict %q in %q", cols[2], line)
		}
		cases = append(cases, sc)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, cases)
	return cases
}

// ruleIDs returns the distinct rule ids of the violations.
func ruleIDs(vs []Violation) []string {
	seen := map[string]bool{}
	var ids []string
	for _, v := range vs {
		if !seen[v.Rule] {
			seen[v.Rule] = true
			ids = append(ids, v.Rule)
		}
	}
	return ids
}

// TestSamples checks every reference invoice against the official verdict in cases.tsv: valid
// samples have no violation under their profile, invalid ones fail with each listed rule.
func TestSamples(t *testing.T) {
	for _, tc := range readCases(t) {
		name := tc.file + "/" + tc.profile.String()
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("testdata", "samples", tc.file))
			require.NoError(t, err)
			vs := Check(doc, tc.profile)
			if tc.valid {
				require.Empty(t, Errors(vs), "valid sample reported errors")
				require.Empty(t, vs, "valid sample reported warnings")
				return
			}
			ids := ruleIDs(Errors(vs))
			for _, want := range tc.rules {
				require.Contains(t, ids, want, "expected rule %s to fire; got %v", want, vs)
			}
		})
	}
}
