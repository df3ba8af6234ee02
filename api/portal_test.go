package api_test

import (
	"encoding/json"
	"testing"

	"github.com/efa-marktplatz/registry/internal/jstest"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// A JavaScript portal (ethers v6 from npm) fetches /v1/eip712, signs every
// act of an offering and an agreement with its own wallets, and verifies the
// signatures and hashes the API returns.
func TestJavaScriptPortal(t *testing.T) { onEachBackend(t, testJavaScriptPortal) }

func testJavaScriptPortal(t *testing.T, h *harness) {
	out := jstest.Node(t, "portal.mjs", nil, "API="+h.url, "TOKEN="+token, "SUFFIX="+h.b.Suffix())
	var result struct {
		OK                bool     `json:"ok"`
		Status            string   `json:"status"`
		VerifiedActs      int      `json:"verifiedActs"`
		VerifiedTermsActs int      `json:"verifiedTermsActs"`
		TermsActs         []string `json:"termsActs"`
	}
	require.NoError(t, json.Unmarshal(out, &result), "%s", out)
	require.True(t, result.OK)
	require.Equal(t, "CONCLUDED", result.Status)
	require.Equal(t, 5, result.VerifiedActs)
	// /terms alone lets the portal verify every act: the 5 on the agreement,
	// the offering's submission and acceptance, the price model.
	require.Equal(t, 8, result.VerifiedTermsActs, "%v", result.TermsActs)
	require.Contains(t, result.TermsActs, schema.TypeAcceptOffering)
}
