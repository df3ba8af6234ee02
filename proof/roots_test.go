package proof_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/proof"
	"github.com/stretchr/testify/require"
)

// rootPEM returns a self-signed CA certificate, PEM-encoded.
func rootPEM(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// ParseRoots reads what LoadRoots reads from a directory, by file name, and
// names the file that it cannot read.
func TestParseRoots(t *testing.T) {
	dataport, akdb := rootPEM(t, "ca.dataport"), rootPEM(t, "ca.akdb")
	genesis := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name    string
		files   map[string][]byte
		roots   map[string]int // certificates by MSP id
		genesis string
		error   string
	}{
		{name: "MSPID.pem", files: map[string][]byte{"DataportMSP.pem": dataport, "AKDBMSP.pem": akdb},
			roots: map[string]int{"DataportMSP": 1, "AKDBMSP": 1}},
		{name: "MSPID/ca.pem, other files of the msp directory ignored",
			files: map[string][]byte{"DataportMSP/ca.pem": dataport, "DataportMSP/node.pem": akdb, "DataportMSP/node.key": []byte("secret")},
			roots: map[string]int{"DataportMSP": 1}},
		{name: "both forms add up", files: map[string][]byte{"DataportMSP.pem": dataport, "DataportMSP/ca.pem": akdb},
			roots: map[string]int{"DataportMSP": 2}},
		{name: "several certificates in one file", files: map[string][]byte{"DataportMSP.pem": append(append([]byte{}, dataport...), akdb...)},
			roots: map[string]int{"DataportMSP": 2}},
		{name: "genesis.sha256 pins the genesis block", files: map[string][]byte{"DataportMSP.pem": dataport, "genesis.sha256": []byte(genesis + "\n")},
			roots: map[string]int{"DataportMSP": 1}, genesis: genesis},
		{name: "no roots", files: map[string][]byte{"genesis.sha256": []byte(genesis)},
			error: "roots: no MSPID.pem or MSPID/ca.pem"},
		{name: "no roots, the files given named", files: map[string][]byte{"roots/DataportMSP.pem": dataport, "README": nil},
			error: "roots: no MSPID.pem or MSPID/ca.pem (ignored: README, roots/DataportMSP.pem)"},
		{name: "a root that is no certificate", files: map[string][]byte{"DataportMSP.pem": dataport, "AKDBMSP/ca.pem": []byte("not PEM")},
			error: "roots: AKDBMSP/ca.pem: root certificates of AKDBMSP: no PEM certificate"},
		{name: "a genesis pin that is no hash", files: map[string][]byte{"DataportMSP.pem": dataport, "genesis.sha256": []byte("abc")},
			error: "roots: genesis.sha256 must hold the genesis block's header hash in hex"},
		{name: "a genesis pin of the wrong length", files: map[string][]byte{"DataportMSP.pem": dataport, "genesis.sha256": []byte("abcd")},
			error: "roots: genesis.sha256 must hold the genesis block's header hash in hex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trust, err := proof.ParseRoots(tc.files)
			if tc.error != "" {
				require.EqualError(t, err, tc.error)
				return
			}
			require.NoError(t, err)
			got := map[string]int{}
			for msp, certs := range trust.Roots {
				got[msp] = len(certs)
			}
			require.Equal(t, tc.roots, got)
			require.Equal(t, tc.genesis, hex.EncodeToString(trust.Genesis))
		})
	}
}

// LoadRoots reads a directory as ParseRoots reads its files: what WriteDir
// wrote comes back, and its errors name the file and the directory.
func TestLoadRootsIsParseRoots(t *testing.T) {
	dir := t.TempDir()
	want, err := proof.ParseRoots(map[string][]byte{"DataportMSP.pem": rootPEM(t, "ca.dataport"), "genesis.sha256": []byte(strings.Repeat("cd", 32))})
	require.NoError(t, err)
	require.NoError(t, want.WriteDir(dir))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "AKDBMSP"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "AKDBMSP", "ca.pem"), rootPEM(t, "ca.akdb"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "keystore"), 0o755)) // no ca.pem: not an MSP

	got, err := proof.LoadRoots(dir)
	require.NoError(t, err)
	require.Equal(t, want.Genesis, got.Genesis)
	require.Equal(t, want.Roots["DataportMSP"], got.Roots["DataportMSP"])
	require.Len(t, got.Roots["AKDBMSP"], 1)
	require.Len(t, got.Roots, 2)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "AKDBMSP", "ca.pem"), []byte("not PEM"), 0o644))
	_, err = proof.LoadRoots(dir)
	require.EqualError(t, err, "roots: AKDBMSP/ca.pem: root certificates of AKDBMSP: no PEM certificate (directory "+dir+")")

	_, err = proof.LoadRoots(t.TempDir())
	require.ErrorContains(t, err, "roots: no MSPID.pem or MSPID/ca.pem (directory ")
}
