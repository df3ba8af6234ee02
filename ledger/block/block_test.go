package block_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger/block"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// The header's encoding is what the node signs and the chain links by: it
// must not change.
func TestHeaderEncoding(t *testing.T) {
	h := &block.Header{Number: 1, PreviousHash: []byte{0xaa}, DataHash: []byte{0xbb}, Timestamp: time.Unix(0, 5), TxCount: 2}
	require.Equal(t, "01"+"0000000000000001"+"01aa"+"01bb"+"0000000000000005"+"00000002", hex.EncodeToString(h.Bytes()))
	sum := sha256.Sum256(h.Bytes())
	require.Equal(t, sum[:], h.Hash())

	got, err := block.DecodeHeader(h.Bytes())
	require.NoError(t, err)
	require.Equal(t, h.Number, got.Number)
	require.True(t, h.Timestamp.Equal(got.Timestamp))

	sig := []byte("signature")
	gotH, gotSig, err := block.DecodeRecord(block.EncodeRecord(h, sig))
	require.NoError(t, err)
	require.Equal(t, h.Bytes(), gotH.Bytes())
	require.Equal(t, sig, gotSig)

	for _, bad := range [][]byte{nil, {2}, h.Bytes()[:10], append(h.Bytes(), 0)} {
		_, err := block.DecodeHeader(bad)
		require.ErrorIs(t, err, block.ErrCorrupt, "%x", bad)
	}
}

func transaction(creator []byte) *block.Transaction {
	nonce := []byte("nonce")
	return &block.Transaction{
		ID: block.TxID(nonce, creator), Nonce: nonce, Creator: creator, Timestamp: time.Unix(1700000000, 0).UTC(),
		Chaincode: "registry", Function: "Act", ArgsDigest: []byte{1, 2, 3},
		RWSet: block.RWSet{
			Reads:          []block.KVRead{{Key: "a", Version: &block.Version{BlockNum: 3, TxNum: 1}}, {Key: "b"}},
			RangeQueries:   []block.RangeQuery{{StartKey: "a", EndKey: "c", Exhausted: true, ResultsHash: []byte{9}}},
			Writes:         []block.KVWrite{{Key: "a", Value: []byte("v")}, {Key: "b", IsDelete: true}},
			MetadataWrites: []block.MetadataWrite{{Key: "a", ValidationParameter: []byte("p")}},
		},
		Event:          &block.Event{Name: "e", Payload: []byte("payload")},
		ValidationCode: peer.TxValidationCode_VALID,
	}
}

func TestTransactionRoundTrip(t *testing.T) {
	creator := []byte("creator identity")
	tx := transaction(creator)
	rec := block.EncodeTransaction(tx)
	require.Equal(t, len(rec), tx.StoredSize())
	got, err := block.DecodeTransaction(rec, func(hash []byte) ([]byte, error) {
		sum := sha256.Sum256(creator)
		require.Equal(t, sum[:], hash, "the record names the creator by its hash")
		return creator, nil
	})
	require.NoError(t, err)
	require.Equal(t, tx, got)
	require.True(t, got.Valid())
}

// rawBlocks returns a genesis block and a block of one transaction, raw.
func rawBlocks(t *testing.T) (genesis, whole *block.Raw) {
	t.Helper()
	cfg := (&block.ChainConfig{ChannelID: "registry", NodeCertificate: []byte("node"), CACertificates: [][]byte{[]byte("ca")}}).Bytes()
	data := block.NewDataHasher()
	data.Add(cfg)
	g := &block.Header{DataHash: data.Sum(), Timestamp: time.Unix(1, 0)}
	creator := []byte("creator identity")
	rec := block.EncodeTransaction(transaction(creator))
	data = block.NewDataHasher()
	data.Add(rec)
	h := &block.Header{Number: 1, PreviousHash: g.Hash(), DataHash: data.Sum(), Timestamp: time.Unix(2, 0), TxCount: 1}
	return &block.Raw{Header: g.Bytes(), Data: [][]byte{cfg}},
		&block.Raw{Header: h.Bytes(), Data: [][]byte{rec}, Creators: [][]byte{creator}}
}

func TestDecodeRaw(t *testing.T) {
	genesis, whole := rawBlocks(t)
	g, err := block.DecodeRaw(genesis)
	require.NoError(t, err)
	require.Equal(t, "registry", g.Config.ChannelID)
	b, err := block.DecodeRaw(whole)
	require.NoError(t, err)
	require.Len(t, b.Transactions, 1)
	require.Equal(t, []byte("creator identity"), b.Transactions[0].Creator)
	headerOnly, err := block.DecodeRaw(&block.Raw{Header: whole.Header})
	require.NoError(t, err)
	require.Empty(t, headerOnly.Transactions)

	for _, tc := range []struct {
		name   string
		change func(r *block.Raw)
		error  string
	}{
		{"header undecodable", func(r *block.Raw) { r.Header = r.Header[:5] }, "ledger: bad block: header: ledger: corrupt record: truncated"},
		{"a record changed", func(r *block.Raw) { r.Data[0][3] ^= 1 }, "data hash does not match its records"},
		{"a record missing", func(r *block.Raw) { r.Data = append(r.Data, r.Data[0]) }, "data hash does not match its records"},
		{"creator missing", func(r *block.Raw) { r.Creators = nil }, "is not in the block's identities"},
		{"another creator", func(r *block.Raw) { r.Creators = [][]byte{[]byte("someone else")} }, "is not in the block's identities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, w := rawBlocks(t)
			tc.change(w)
			_, err := block.DecodeRaw(w)
			require.ErrorIs(t, err, block.ErrInvalid)
			require.ErrorContains(t, err, tc.error)
		})
	}

	// A transaction whose id is not derived from its nonce and creator.
	_, w := rawBlocks(t)
	tx := transaction(w.Creators[0])
	tx.ID = block.TxID([]byte("other nonce"), tx.Creator)
	w.Data[0] = block.EncodeTransaction(tx)
	h, err := block.DecodeHeader(w.Header)
	require.NoError(t, err)
	data := block.NewDataHasher()
	data.Add(w.Data[0])
	h.DataHash = data.Sum()
	w.Header = h.Bytes()
	_, err = block.DecodeRaw(w)
	require.ErrorIs(t, err, block.ErrInvalid)
	require.ErrorContains(t, err, "is not derived from its nonce and creator")
}

func TestVerifySignature(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "node"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	node, err := x509.ParseCertificate(der)
	require.NoError(t, err)

	h := &block.Header{Number: 7, Timestamp: time.Unix(3, 0)}
	digest := sha256.Sum256(h.Bytes())
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	require.NoError(t, err)
	require.NoError(t, block.VerifySignature(h, sig, node))
	h.Number++
	require.EqualError(t, block.VerifySignature(h, sig, node), "signature does not verify against the node certificate")
}
