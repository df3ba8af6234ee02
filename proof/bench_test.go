package proof_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/efa-marktplatz/registry/proof"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// BenchmarkVerify verifies the bundle of an agreement with 8 acts on the
// embedded ledger, from its file bytes (decode included), and reports the
// bundle's size.
func BenchmarkVerify(b *testing.B) {
	r := newRegistry(b)
	bundle, err := proof.Build(b.Context(), r.client, eightActs, proof.BuildOptions{})
	require.NoError(b, err)
	raw, err := json.MarshalIndent(bundle, "", " ")
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		bb, err := proof.Read(bytesReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		if report, _ := proof.Verify(bb, r.trust); !report.OK {
			b.Fatal(report.FirstFailure)
		}
	}
	b.ReportMetric(float64(len(raw)), "bundle-bytes")
}

// BenchmarkSignatureWork is the reference: the signature work alone that
// the same bundle needs — one ecrecover per signed act and one P-256
// verification per block the node signed — without decoding or hashing
// anything else.
func BenchmarkSignatureWork(b *testing.B) {
	r := newRegistry(b)
	bundle, err := proof.Build(b.Context(), r.client, eightActs, proof.BuildOptions{})
	require.NoError(b, err)
	report, terms := proof.Verify(bundle, r.trust)
	require.True(b, report.OK)
	signedBlocks := 0
	for _, it := range report.Items {
		if it.Check == "node signature" {
			signedBlocks++
		}
	}
	ethKey, err := crypto.GenerateKey()
	require.NoError(b, err)
	digest := sha256.Sum256([]byte("act"))
	ethSig, err := crypto.Sign(digest[:], ethKey)
	require.NoError(b, err)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(b, err)
	p256Sig, err := ecdsa.SignASN1(rand.Reader, p256, digest[:])
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		for range terms.Acts {
			if _, err := crypto.SigToPub(digest[:], ethSig); err != nil {
				b.Fatal(err)
			}
		}
		for range signedBlocks {
			if !ecdsa.VerifyASN1(&p256.PublicKey, digest[:], p256Sig) {
				b.Fatal("p256")
			}
		}
	}
	b.ReportMetric(float64(len(terms.Acts)), "acts")
	b.ReportMetric(float64(signedBlocks), "signed-blocks")
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
