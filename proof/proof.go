package proof

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Format names the bundle format and its version.
const Format = "efa-registry-proof/4"

// Trust is what an auditor supplies: the root certificates of the
// organisations, by MSP id. On Fabric these are the orderer org's and the
// member orgs' CA roots; on the embedded ledger the roots of the node's org.
// Certificates in a bundle count only as far as they chain to these.
type Trust struct {
	Roots map[string][]*x509.Certificate
	// Checkpoint, when set, pins a block of the embedded ledger by its header
	// hash: the chain of headers in the bundle must pass through it.
	Checkpoint *Checkpoint
	// Genesis pins the channel's genesis block by its header hash. Fabric
	// needs it: the genesis block carries the channel configuration (its
	// organisations, node roles and policies) and no orderer signature.
	// On the embedded ledger it is optional.
	Genesis []byte
}

// Checkpoint is a block the auditor trusts: its number and header hash.
type Checkpoint struct {
	Number uint64
	Hash   []byte
}

// AddRootsPEM adds every certificate in pem to the roots of mspID.
func (t *Trust) AddRootsPEM(mspID string, data []byte) error {
	certs, err := parsePEMCerts(data)
	if err != nil {
		return fmt.Errorf("root certificates of %s: %w", mspID, err)
	}
	if t.Roots == nil {
		t.Roots = map[string][]*x509.Certificate{}
	}
	t.Roots[mspID] = append(t.Roots[mspID], certs...)
	return nil
}

// parsePEMCerts parses the CERTIFICATE blocks of PEM data; it fails when
// there is none.
func parsePEMCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return out, nil
}

// pool returns the roots of mspID as a certificate pool, or nil.
func (t *Trust) pool(mspID string) *x509.CertPool {
	roots := t.Roots[mspID]
	if len(roots) == 0 {
		return nil
	}
	p := x509.NewCertPool()
	for _, c := range roots {
		p.AddCert(c)
	}
	return p
}

// VerifyIdentity checks that the PEM certificate chains to the supplied roots
// of mspID and returns it. Validity periods are not checked (see
// VerifyIdentityAt).
func (t *Trust) VerifyIdentity(mspID string, certPEM []byte) (*x509.Certificate, error) {
	return t.VerifyIdentityAt(mspID, certPEM, time.Time{})
}

// VerifyIdentityAt checks that the PEM certificate chains to the supplied
// roots of mspID and that the chain was valid at the time at (unless at is
// zero) and returns it.
func (t *Trust) VerifyIdentityAt(mspID string, certPEM []byte, at time.Time) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	pool := t.pool(mspID)
	if pool == nil {
		return nil, fmt.Errorf("no root certificate supplied for %s", mspID)
	}
	if at.IsZero() {
		at = cert.NotBefore.Add(time.Second)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: at}); err != nil {
		return nil, fmt.Errorf("certificate of %s (%s) does not chain to the supplied %s roots: %w", cert.Subject.CommonName, mspID, mspID, err)
	}
	return cert, nil
}

// Tx is a transaction whose block verified, with what the record checks
// need: where it is, when it ran, who endorsed it, and what it wrote in the
// registry chaincode's namespace.
type Tx struct {
	ID    string
	Block uint64
	// BlockHash is the hash of the block's header; BlockSignedBy says whose
	// signatures over it verified (orderers on Fabric, the node embedded).
	BlockHash      []byte
	BlockSignedBy  string
	Index          int
	Timestamp      time.Time
	ValidationCode string // Fabric's name, e.g. VALID
	// Endorsers are the MSP ids of the orgs whose endorsement signatures
	// verified against the supplied roots (sorted, unique). The embedded
	// ledger has one endorser: the node's org.
	Endorsers []string
	Writes    []Write
}

// Write is a key the transaction wrote or deleted.
type Write struct {
	Key      string
	Value    []byte
	IsDelete bool
}

// write returns the transaction's write of key.
func (t *Tx) write(key string) (Write, bool) {
	for _, w := range t.Writes {
		if w.Key == key {
			return w, true
		}
	}
	return Write{}, false
}

// Report is the outcome of a verification, check by check, in the order they
// ran.
type Report struct {
	Agreement string `json:"agreement"`
	Backend   string `json:"backend"`
	// OK is true when every item holds.
	OK bool `json:"ok"`
	// FirstFailure is the first item that does not hold, if any.
	FirstFailure *Item  `json:"firstFailure,omitempty"`
	Items        []Item `json:"items"`
}

// Item is one check: what was checked, of which subject, and whether it held.
type Item struct {
	Check   Check  `json:"check"`
	Subject string `json:"subject"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
}

// Add records a check; err nil means it held.
func (r *Report) Add(check Check, subject string, err error) bool {
	it := Item{Check: check, Subject: subject, OK: err == nil}
	if err != nil {
		it.Detail = err.Error()
	}
	r.Items = append(r.Items, it)
	if err != nil && r.FirstFailure == nil {
		first := it
		r.FirstFailure = &first
	}
	return err == nil
}

// Failed reports whether any check so far did not hold.
func (r *Report) Failed() bool { return r.FirstFailure != nil }

// Pass records a check that held, with a detail worth reading.
func (r *Report) Pass(check Check, subject, detail string) {
	r.Items = append(r.Items, Item{Check: check, Subject: subject, OK: true, Detail: detail})
}
