package api

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/efa-marktplatz/registry/proof"
	"github.com/gin-gonic/gin"
)

// The auditors' endpoints. The bundle (/proof) is the evidence; /terms and
// /verification run the offline verifier's checks here, against the roots
// this API instance was configured with — a convenience, labelled as such.

// SignedTerms is the answer of /terms: the canonical terms, every signed act
// with its recovered signer, key registration and ledger proof, and whether
// this API's verification of the bundle held.
type SignedTerms struct {
	proof.SignedTerms
	Verified bool `json:"verified"`
	// Failures lists the checks that did not hold (see /verification).
	Failures []proof.Item `json:"failures,omitempty"`
	Notice   string       `json:"notice"`
}

// Verification is the answer of /verification.
type Verification struct {
	proof.Report
	// TrustedRoots are the root certificates the API verified against: MSP id
	// and SHA-256 fingerprint of each.
	TrustedRoots []Root `json:"trustedRoots"`
	Notice       string `json:"notice"`
}

// Root is a trusted root certificate.
type Root struct {
	MSPID  string `json:"mspId"`
	SHA256 string `json:"sha256"`
}

const convenience = "A convenience: this API verified the agreement's proof bundle against the roots it was configured with. " +
	"The evidence is the bundle (GET …/proof); verify it yourself with `registryctl verify` and the roots you trust."

func (a *API) bundle(c *gin.Context) (*proof.Bundle, bool) {
	var o proof.BuildOptions
	if s := c.Query("from"); s != "" {
		from, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			abort(c, badRequest("from", "must be a block number"))
			return nil, false
		}
		o.From = &from
	}
	b, err := proof.Build(c.Request.Context(), a.cfg.Client, c.Param("id"), o)
	if err != nil {
		abort(c, err)
		return nil, false
	}
	return b, true
}

func (a *API) proofBundle(c *gin.Context) {
	b, ok := a.bundle(c)
	if !ok {
		return
	}
	out, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		abort(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+b.Agreement+`.proof.json"`)
	c.Data(http.StatusOK, "application/json; charset=utf-8", out)
}

func (a *API) verification(c *gin.Context) {
	b, ok := a.bundle(c)
	if !ok {
		return
	}
	report, _ := proof.Verify(b, a.cfg.Trust)
	c.JSON(http.StatusOK, Verification{Report: *report, TrustedRoots: a.roots(), Notice: convenience})
}

func (a *API) terms(c *gin.Context) {
	b, ok := a.bundle(c)
	if !ok {
		return
	}
	report, terms := proof.Verify(b, a.cfg.Trust)
	out := SignedTerms{Verified: report.OK, Notice: convenience}
	if terms != nil {
		out.SignedTerms = *terms
	}
	for _, it := range report.Items {
		if !it.OK {
			out.Failures = append(out.Failures, it)
		}
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) roots() []Root {
	out := []Root{}
	if a.cfg.Trust == nil {
		return out
	}
	for msp, certs := range a.cfg.Trust.Roots {
		for _, cert := range certs {
			sum := sha256.Sum256(cert.Raw)
			out = append(out, Root{MSPID: msp, SHA256: hex.EncodeToString(sum[:])})
		}
	}
	slices.SortFunc(out, func(x, y Root) int {
		return cmp.Or(strings.Compare(x.MSPID, y.MSPID), strings.Compare(x.SHA256, y.SHA256))
	})
	return out
}
