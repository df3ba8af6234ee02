package block

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
)

// Raw is a block exactly as stored, for proofs that leave the ledger: the
// header and the node's signature over it, and — for whole blocks — the
// records its data hash covers (the genesis configuration, or each
// transaction record) with the creator identities the records name by
// SHA-256. A header alone (no Data) still links the chain.
type Raw struct {
	Header    []byte   `json:"header"`
	Signature []byte   `json:"signature"`
	Data      [][]byte `json:"data,omitempty"`
	Creators  [][]byte `json:"creators,omitempty"`
}

// ErrInvalid says a raw block does not hold together.
var ErrInvalid = errors.New("ledger: bad block")

// DecodeRaw decodes a raw block. For a whole block it checks the data hash
// against the records and that every transaction id derives from its nonce
// and creator. It does not check the node's signature: VerifySignature does,
// against a certificate the caller trusts. Its errors wrap ErrInvalid.
func DecodeRaw(r *Raw) (*Block, error) {
	h, err := DecodeHeader(r.Header)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrInvalid, err)
	}
	b := &Block{Header: *h, Signature: r.Signature}
	if len(r.Data) == 0 {
		return b, nil
	}
	data := NewDataHasher()
	for _, d := range r.Data {
		data.Add(d)
	}
	if !bytes.Equal(data.Sum(), h.DataHash) {
		return nil, fmt.Errorf("%w: block %d: data hash does not match its records", ErrInvalid, h.Number)
	}
	if h.Number == 0 {
		if len(r.Data) != 1 {
			return nil, fmt.Errorf("%w: genesis block with %d records", ErrInvalid, len(r.Data))
		}
		if b.Config, err = DecodeConfig(r.Data[0]); err != nil {
			return nil, fmt.Errorf("%w: genesis configuration: %w", ErrInvalid, err)
		}
		return b, nil
	}
	if uint32(len(r.Data)) != h.TxCount {
		return nil, fmt.Errorf("%w: block %d: %d records, header says %d", ErrInvalid, h.Number, len(r.Data), h.TxCount)
	}
	creator := func(hash []byte) ([]byte, error) {
		i := slices.IndexFunc(r.Creators, func(c []byte) bool {
			sum := sha256.Sum256(c)
			return bytes.Equal(sum[:], hash)
		})
		if i < 0 {
			return nil, fmt.Errorf("creator %x is not in the block's identities", hash)
		}
		return r.Creators[i], nil
	}
	for i, rec := range r.Data {
		t, err := DecodeTransaction(rec, creator)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d transaction %d: %w", ErrInvalid, h.Number, i, err)
		}
		if TxID(t.Nonce, t.Creator) != t.ID {
			return nil, fmt.Errorf("%w: block %d transaction %d: id %s is not derived from its nonce and creator", ErrInvalid, h.Number, i, t.ID)
		}
		b.Transactions = append(b.Transactions, t)
	}
	return b, nil
}

// VerifySignature checks the node's signature over a block header.
func VerifySignature(h *Header, sig []byte, node *x509.Certificate) error {
	pub, ok := node.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("node key is %T, want ECDSA", node.PublicKey)
	}
	digest := sha256.Sum256(h.Bytes())
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return errors.New("signature does not verify against the node certificate")
	}
	return nil
}
