package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An auditor exports bundles, pins the roots and verifies offline; a
// tampered bundle makes verify fail and name the first broken link.
func TestProofExportAndVerify(t *testing.T) {
	dir, url := demoAPI(t)
	ctx := context.Background()
	var out bytes.Buffer

	roots := filepath.Join(dir, "roots")
	require.NoError(t, run(ctx, []string{"proof", "roots", "--data", dir, "--out", roots}, &out))
	require.FileExists(t, filepath.Join(roots, "DataportMSP.pem"))

	var files []string
	for _, agreement := range []string{"koeln-bauantrag", "hamburg-fuehrerschein", "koeln-aufenthaltstitel"} {
		file := filepath.Join(dir, agreement+".proof.json")
		require.NoError(t, run(ctx, []string{"proof", "export", "--api", url, "--agreement", agreement, "--out", file}, &out))
		files = append(files, file)
	}

	out.Reset()
	require.NoError(t, run(ctx, []string{"verify", "--roots", roots, files[0]}, &out))
	require.Contains(t, out.String(), "VERIFIED")
	require.Contains(t, out.String(), "signer's key")

	out.Reset()
	require.NoError(t, run(ctx, append([]string{"verify", "--roots", roots, "-q"}, files...), &out))
	require.Contains(t, out.String(), "3 bundles, 3 verified, 0 failed")

	// One byte of a fee changed.
	raw, err := os.ReadFile(files[0])
	require.NoError(t, err)
	tampered := filepath.Join(dir, "tampered.proof.json")
	// The fee version's own fees: past the agreement record, whose EnterFees
	// act carries the same figure in its signed message.
	at := bytes.Index(raw, []byte(`"feeVersions"`))
	require.Positive(t, at)
	require.Contains(t, string(raw[at:]), `"annualFee": "1200000"`)
	raw = append(raw[:at:at], bytes.Replace(raw[at:], []byte(`"annualFee": "1200000"`), []byte(`"annualFee": "1200001"`), 1)...)
	require.NoError(t, os.WriteFile(tampered, raw, 0o644))
	out.Reset()
	err = run(ctx, []string{"verify", "--roots", roots, tampered}, &out)
	require.ErrorContains(t, err, "first broken link: record written of fee version 1 of koeln-bauantrag")
	require.Contains(t, out.String(), "FAILED")

	// Roots the auditor does not trust: the node certificate breaks.
	other := filepath.Join(dir, "other-roots")
	require.NoError(t, os.MkdirAll(other, 0o755))
	foreign, err := os.ReadFile(filepath.Join(roots, "AKDBMSP.pem"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(other, "DataportMSP.pem"), foreign, 0o644))
	err = run(ctx, []string{"verify", "--roots", other, files[0]}, &out)
	require.ErrorContains(t, err, "node certificate")

	// A checkpoint the chain does not pass through.
	err = run(ctx, []string{"verify", "--roots", roots, "--checkpoint", "1:" + strings.Repeat("ab", 32), files[0]}, &out)
	require.ErrorContains(t, err, "checkpoint")
	require.ErrorContains(t, run(ctx, []string{"verify", "--roots", roots, "--checkpoint", "one", files[0]}, &out), "NUMBER:HEADERHASH")
	require.Error(t, run(ctx, []string{"verify", "--roots", roots, filepath.Join(dir, "missing.json")}, &out))

	// A pinned genesis block the bundle does not start from.
	err = run(ctx, []string{"verify", "--roots", roots, "--genesis", strings.Repeat("ab", 32), files[0]}, &out)
	require.ErrorContains(t, err, "first broken link: genesis block of block 0")
	require.ErrorContains(t, run(ctx, []string{"verify", "--roots", roots, "--genesis", "xyz", files[0]}, &out), "64 hex digits")
}
