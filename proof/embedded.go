package proof

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/efa-marktplatz/registry/ledger/block"
)

// VerifyEmbedded checks the embedded ledger's blocks — the genesis block and
// its node certificate against the supplied roots, the header chain, the
// node's signatures, the data hashes — and returns the transactions named by
// txIDs, in ledger order, as far as their blocks verified.
func VerifyEmbedded(r *Report, blocks []block.Raw, trust *Trust, channel, chaincode string, txIDs []string) []*Tx {
	if len(blocks) == 0 {
		r.Add(CheckGenesis, "block 0", errors.New("the bundle has no blocks"))
		return nil
	}
	decoded := make([]*block.Block, len(blocks))
	for i := range blocks {
		b, err := block.DecodeRaw(&blocks[i])
		if err != nil {
			r.Add(CheckDataHash, fmt.Sprintf("block %d", i), err)
			return nil
		}
		decoded[i] = b
	}

	// The genesis block names the node certificate; it must chain to a root
	// the auditor supplied.
	genesis := decoded[0]
	if genesis.Header.Number != 0 || genesis.Config == nil {
		r.Add(CheckGenesis, "block 0", fmt.Errorf("the first block is block %d, not the whole genesis block", genesis.Header.Number))
		return nil
	}
	if genesis.Config.ChannelID != channel {
		r.Add(CheckGenesis, "block 0", fmt.Errorf("channel %q, the bundle says %q", genesis.Config.ChannelID, channel))
		return nil
	}
	if trust.Genesis != nil {
		if got := genesis.Header.Hash(); !bytes.Equal(got, trust.Genesis) {
			r.Add(CheckGenesis, "block 0", fmt.Errorf("header hash %x, the pinned genesis block is %x", got, trust.Genesis))
			return nil
		}
		r.Pass(CheckGenesis, "block 0", "the pinned genesis block")
	}
	node, msp, err := nodeCertificate(genesis.Config.NodeCertificate, trust, genesis.Header.Timestamp, decoded[len(decoded)-1].Header.Timestamp)
	if err != nil {
		r.Add(CheckNodeCertificate, "block 0", err)
		return nil
	}
	r.Pass(CheckNodeCertificate, "block 0", fmt.Sprintf("%s, issued by the supplied root of %s", node.Subject.CommonName, msp))

	// After the genesis block, the headers link one to the next without a
	// gap; the node signed every whole block and the last header, which
	// vouches for the chain below it. When the chain starts after block 1,
	// its first block is tied to the genesis block by the node's signature only.
	var prev []byte
	base := uint64(1)
	if len(decoded) > 1 {
		base = decoded[1].Header.Number
	}
	for i, b := range decoded {
		h := &b.Header
		subject := fmt.Sprintf("block %d", h.Number)
		want := uint64(0)
		if i > 0 {
			want = base + uint64(i-1)
		}
		switch {
		case i > 0 && h.Number == 0:
			r.Add(CheckHeaderChain, subject, fmt.Errorf("position %d holds a second genesis block", i))
			return nil
		case h.Number != want:
			r.Add(CheckHeaderChain, subject, fmt.Errorf("position %d holds block %d where block %d belongs", i, h.Number, want))
			return nil
		case (i > 1 || (i == 1 && base == 1)) && !bytes.Equal(h.PreviousHash, prev):
			r.Add(CheckHeaderChain, subject, fmt.Errorf("previous hash %x is not the hash %x of block %d's header", h.PreviousHash, prev, h.Number-1))
			return nil
		}
		prev = h.Hash()
		if len(blocks[i].Data) > 0 || i == len(decoded)-1 || (i == 1 && base > 1) {
			if !r.Add(CheckNodeSignature, subject, block.VerifySignature(h, b.Signature, node)) {
				return nil
			}
		}
	}
	last := decoded[len(decoded)-1].Header.Number
	detail := fmt.Sprintf("head %x, signed by the node", prev)
	if base > 1 {
		detail += fmt.Sprintf("; blocks 1–%d are not in the bundle: block %d is tied to the genesis block by the node's signature only", base-1, base)
	}
	r.Pass(CheckHeaderChain, fmt.Sprintf("blocks %d–%d", min(base, last), last), detail)
	if cp := trust.Checkpoint; cp != nil {
		err := checkpointErr(decoded, base, cp)
		if !r.Add(CheckCheckpoint, fmt.Sprintf("block %d", cp.Number), err) {
			return nil
		}
	}

	want := map[string]bool{}
	for _, id := range txIDs {
		want[id] = true
	}
	var out []*Tx
	for _, b := range decoded[1:] {
		for i, t := range b.Transactions {
			if !want[t.ID] {
				continue
			}
			delete(want, t.ID)
			subject := fmt.Sprintf("tx %s in block %d", t.ID, b.Header.Number)
			if t.Chaincode != chaincode {
				r.Add(CheckChaincode, subject, fmt.Errorf("ran chaincode %q, not %q", t.Chaincode, chaincode))
				continue
			}
			r.Add(CheckValidationCode, subject, validErr(t.ValidationCode.String()))
			tx := &Tx{ID: t.ID, Block: b.Header.Number, Index: i, Timestamp: t.Timestamp, ValidationCode: t.ValidationCode.String(), Endorsers: []string{msp},
				BlockHash: b.Header.Hash(), BlockSignedBy: fmt.Sprintf("the ledger node of %s (certificate CN=%s)", msp, node.Subject.CommonName)}
			for _, w := range t.RWSet.Writes {
				tx.Writes = append(tx.Writes, Write{Key: w.Key, Value: w.Value, IsDelete: w.IsDelete})
			}
			out = append(out, tx)
		}
	}
	missing := make([]string, 0, len(want))
	for id := range want {
		missing = append(missing, id)
	}
	slices.Sort(missing)
	for _, id := range missing {
		r.Add(CheckTransactionPresent, "tx "+id, errors.New("it is in none of the bundle's whole blocks"))
	}
	return out
}

// nodeCertificate parses the node's certificate and finds the supplied root
// it chains to. It must be a node's (OU peer, as the local MSP issues it to
// the node and to no client or admin) and valid from the genesis block to
// the last block of the bundle.
func nodeCertificate(certPEM []byte, trust *Trust, first, last time.Time) (*x509.Certificate, string, error) {
	certBlock, _ := pem.Decode(certPEM)
	if certBlock == nil {
		return nil, "", errors.New("the node certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("the node certificate: %w", err)
	}
	msps := make([]string, 0, len(trust.Roots))
	for msp := range trust.Roots {
		msps = append(msps, msp)
	}
	slices.Sort(msps)
	if !slices.Contains(cert.Subject.OrganizationalUnit, "peer") {
		return nil, "", fmt.Errorf("the node certificate (%s, OU %v) is not a node's: OU peer is required", cert.Subject.CommonName, cert.Subject.OrganizationalUnit)
	}
	for _, msp := range msps {
		if _, err := trust.VerifyIdentityAt(msp, certPEM, first); err != nil {
			continue
		}
		if _, err := trust.VerifyIdentityAt(msp, certPEM, last); err != nil {
			return nil, "", fmt.Errorf("the node certificate is not valid at the last block's time %s: %w", last.Format(time.RFC3339), err)
		}
		return cert, msp, nil
	}
	return nil, "", fmt.Errorf("the node certificate (%s, issued by %s) chains to none of the supplied roots", cert.Subject.CommonName, cert.Issuer.CommonName)
}

func checkpointErr(blocks []*block.Block, base uint64, cp *Checkpoint) error {
	var b *block.Block
	switch last := blocks[len(blocks)-1].Header.Number; {
	case cp.Number == 0:
		b = blocks[0]
	case cp.Number >= base && cp.Number <= last && len(blocks) > 1:
		b = blocks[1+cp.Number-base]
	default:
		return fmt.Errorf("the bundle's chain runs from block %d to %d and does not reach block %d; export the bundle from block %d on", base, last, cp.Number, cp.Number)
	}
	if got := b.Header.Hash(); !bytes.Equal(got, cp.Hash) {
		return fmt.Errorf("block %d's header hash is %x, the checkpoint pins %x", cp.Number, got, cp.Hash)
	}
	return nil
}

func validErr(code string) error {
	if code != "VALID" {
		return fmt.Errorf("validation code %s", code)
	}
	return nil
}
