package proof

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// blockTx is a transaction in a bundle block.
type blockTx struct {
	bb    *bundleBlock
	index int
	env   *common.Envelope
	pl    *common.Payload
	chdr  *common.ChannelHeader
	code  peer.TxValidationCode
	coded bool // the block metadata holds a code for it
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:8] + "…"
	}
	return id
}

func (l *blockTx) subject() string {
	return fmt.Sprintf("tx %s in block %d", shortID(l.chdr.GetTxId()), l.bb.block.GetHeader().GetNumber())
}

// verifyTxs checks the named transactions in ledger order.
func (v *verifier) verifyTxs(blocks []*bundleBlock, txIDs []string) []*Tx {
	index := map[string][]*blockTx{}
	for _, bb := range blocks {
		md := bb.block.GetMetadata().GetMetadata()
		var filter []byte
		if len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
			filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		}
		for i, raw := range bb.block.GetData().GetData() {
			env, pl, chdr, err := envelopeHeader(raw)
			if err != nil || chdr.GetTxId() == "" {
				continue
			}
			l := &blockTx{bb: bb, index: i, env: env, pl: pl, chdr: chdr}
			if i < len(filter) {
				l.code, l.coded = peer.TxValidationCode(filter[i]), true
			}
			index[chdr.GetTxId()] = append(index[chdr.GetTxId()], l)
		}
	}
	var found []*blockTx
	seen := map[string]bool{}
	for _, id := range txIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		ls := index[id]
		if len(ls) == 0 {
			v.r.Add(CheckTransaction, "tx "+shortID(id), fmt.Errorf("tx %s is in none of the bundle's blocks", id))
			continue
		}
		pick := ls[0]
		for _, l := range ls {
			if l.coded && l.code == peer.TxValidationCode_VALID {
				pick = l
				break
			}
		}
		found = append(found, pick)
	}
	slices.SortFunc(found, func(a, b *blockTx) int {
		if c := cmp.Compare(a.bb.block.GetHeader().GetNumber(), b.bb.block.GetHeader().GetNumber()); c != 0 {
			return c
		}
		return a.index - b.index
	})
	policies := map[string][]byte{} // key → VALIDATION_PARAMETER set by an earlier bundle tx
	var out []*Tx
	for _, l := range found {
		tx, ptx := v.verifyTx(l, policies)
		if tx != nil && l.bb.ok {
			out = append(out, tx)
		}
		if ptx != nil && l.coded && l.code == peer.TxValidationCode_VALID {
			ptx.applyMetadata(policies)
		}
	}
	return out
}

// endorserTx is an endorser transaction taken apart.
type endorserTx struct {
	shdrBytes []byte
	shdr      *common.SignatureHeader
	action    *peer.TransactionAction
	cap       *peer.ChaincodeActionPayload
	prpBytes  []byte
	prp       *peer.ProposalResponsePayload
	cca       *peer.ChaincodeAction
	kv        *kvrwset.KVRWSet // the chaincode's namespace; nil if it has none
}

// parseEndorserTx takes a transaction apart down to its rwset.
func (v *verifier) parseEndorserTx(l *blockTx) (*endorserTx, error) {
	id := l.chdr.GetTxId()
	if l.chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return nil, fmt.Errorf("tx %s is of type %s, not an endorser transaction", id, common.HeaderType(l.chdr.GetType()))
	}
	p := &endorserTx{shdrBytes: l.pl.GetHeader().GetSignatureHeader(), shdr: &common.SignatureHeader{}}
	if err := proto.Unmarshal(p.shdrBytes, p.shdr); err != nil {
		return nil, fmt.Errorf("tx %s: signature header: %w", id, err)
	}
	sum := sha256.Sum256(concat(p.shdr.GetNonce(), p.shdr.GetCreator()))
	if hex.EncodeToString(sum[:]) != id {
		return nil, fmt.Errorf("tx %s: its id is not the hash of its nonce and creator", id)
	}
	tx := &peer.Transaction{}
	if err := proto.Unmarshal(l.pl.GetData(), tx); err != nil {
		return nil, fmt.Errorf("tx %s: transaction: %w", id, err)
	}
	if len(tx.GetActions()) != 1 {
		return nil, fmt.Errorf("tx %s holds %d actions, Fabric one", id, len(tx.GetActions()))
	}
	p.action = tx.GetActions()[0]
	p.cap = &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(p.action.GetPayload(), p.cap); err != nil {
		return nil, fmt.Errorf("tx %s: chaincode action payload: %w", id, err)
	}
	if p.cap.GetAction() == nil {
		return nil, fmt.Errorf("tx %s: chaincode action payload without endorsed action", id)
	}
	p.prpBytes = p.cap.GetAction().GetProposalResponsePayload()
	p.prp = &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(p.prpBytes, p.prp); err != nil {
		return nil, fmt.Errorf("tx %s: proposal response payload: %w", id, err)
	}
	p.cca = &peer.ChaincodeAction{}
	if err := proto.Unmarshal(p.prp.GetExtension(), p.cca); err != nil {
		return nil, fmt.Errorf("tx %s: chaincode action: %w", id, err)
	}
	rws := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(p.cca.GetResults(), rws); err != nil {
		return nil, fmt.Errorf("tx %s: read-write set: %w", id, err)
	}
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() != v.chaincode {
			continue
		}
		if p.kv != nil {
			return nil, fmt.Errorf("tx %s: read-write set holds namespace %s twice", id, v.chaincode)
		}
		p.kv = &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.GetRwset(), p.kv); err != nil {
			return nil, fmt.Errorf("tx %s: read-write set of %s: %w", id, v.chaincode, err)
		}
	}
	return p, nil
}

// verifyTx checks one transaction; it returns its record (nil if it did not
// parse) and the parsed transaction.
func (v *verifier) verifyTx(l *blockTx, policies map[string][]byte) (*Tx, *endorserTx) {
	subject := l.subject()
	id := l.chdr.GetTxId()
	tx := &Tx{ID: id, Block: l.bb.block.GetHeader().GetNumber(), Index: l.index, Timestamp: l.chdr.GetTimestamp().AsTime(),
		BlockHash: headerHash(l.bb.block.GetHeader()), BlockSignedBy: l.bb.signed}
	switch {
	case !l.coded:
		tx.ValidationCode = "NONE"
		v.r.Add(CheckValidationCode, subject, fmt.Errorf("block %d holds no validation code for transaction %d", tx.Block, l.index))
	case l.code != peer.TxValidationCode_VALID:
		tx.ValidationCode = l.code.String()
		v.r.Add(CheckValidationCode, subject, fmt.Errorf("tx %s in block %d was marked %s by the peer (the peer's record, not covered by orderer signatures)", id, tx.Block, l.code))
	default:
		tx.ValidationCode = l.code.String()
		v.r.Pass(CheckValidationCode, subject, "VALID (the serving peer's record in the block metadata: orderer signatures do not cover it)")
	}
	p, err := v.parseEndorserTx(l)
	if err != nil {
		v.r.Add(CheckTransaction, subject, err)
		return nil, nil
	}
	v.r.Pass(CheckTransaction, subject, "an endorser transaction; its id is the hash of its nonce and creator")
	for _, w := range p.kv.GetWrites() {
		tx.Writes = append(tx.Writes, Write{Key: w.GetKey(), Value: w.GetValue(), IsDelete: w.GetIsDelete()})
	}

	creator, err := v.identify(p.shdr.GetCreator())
	if err == nil {
		err = verifySignature(creator.cert, l.env.GetPayload(), l.env.GetSignature())
	}
	if err != nil {
		v.r.Add(CheckCreatorSignature, subject, fmt.Errorf("tx %s: creator: %w", id, err))
	} else {
		v.r.Pass(CheckCreatorSignature, subject, "signed by "+creator.String())
	}

	ph := sha256.Sum256(concat(l.pl.GetHeader().GetChannelHeader(), p.action.GetHeader(), p.cap.GetChaincodeProposalPayload()))
	if !bytes.Equal(ph[:], p.prp.GetProposalHash()) {
		v.r.Add(CheckProposalHash, subject, fmt.Errorf("tx %s: the endorsed proposal hash does not match the transaction's proposal", id))
	} else {
		v.r.Pass(CheckProposalHash, subject, "the endorsements are of this transaction's proposal")
	}

	if name := p.cca.GetChaincodeId().GetName(); name != v.chaincode {
		v.r.Add(CheckChaincode, subject, fmt.Errorf("tx %s invoked chaincode %q, not %q", id, name, v.chaincode))
	} else {
		v.r.Pass(CheckChaincode, subject, fmt.Sprintf("%s version %s", name, p.cca.GetChaincodeId().GetVersion()))
	}

	endorsers := v.endorsements(subject, id, p)
	orgs := map[string]bool{}
	for _, e := range endorsers {
		orgs[e.mspID] = true
	}
	tx.Endorsers = slices.Sorted(maps.Keys(orgs))

	detail, err := v.chaincodePolicy(endorsers)
	if err != nil {
		v.r.Add(CheckEndorsementPolicy, subject, fmt.Errorf("tx %s: %w", id, err))
	} else {
		v.r.Pass(CheckEndorsementPolicy, subject, detail)
	}

	keys := map[string]bool{}
	for _, w := range p.kv.GetWrites() {
		keys[w.GetKey()] = true
	}
	for _, mw := range p.kv.GetMetadataWrites() {
		keys[mw.GetKey()] = true
	}
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		raw, ok := policies[key]
		if !ok {
			continue
		}
		ksubject := fmt.Sprintf("key %q of %s", key, subject)
		detail, err := keyPolicy(raw, endorsers)
		if err != nil {
			v.r.Add(CheckKeyEndorsementPolicy, ksubject, fmt.Errorf("tx %s, key %q: %w", id, key, err))
		} else {
			v.r.Pass(CheckKeyEndorsementPolicy, ksubject, detail)
		}
	}
	return tx, p
}

// endorsements checks every endorsement and returns the endorsers whose
// signature verified, one per identity.
func (v *verifier) endorsements(subject, id string, p *endorserTx) []*identity {
	es := p.cap.GetAction().GetEndorsements()
	if len(es) == 0 {
		v.r.Add(CheckEndorsementSignature, subject, fmt.Errorf("tx %s carries no endorsement", id))
		return nil
	}
	var out []*identity
	for i, e := range es {
		eid, err := v.identify(e.GetEndorser())
		if err == nil && !eid.hasRole(msp.MSPRole_PEER) {
			err = fmt.Errorf("the certificate of %s lacks the OU %q", eid, eid.org.roleOU(msp.MSPRole_PEER))
		}
		if err == nil && !eid.org.app {
			err = fmt.Errorf("%s is not an application organisation of the channel config", eid.mspID)
		}
		if err == nil {
			err = verifySignature(eid.cert, concat(p.prpBytes, e.GetEndorser()), e.GetSignature())
		}
		if err != nil {
			v.r.Add(CheckEndorsementSignature, subject, fmt.Errorf("tx %s, endorsement %d: %w", id, i, err))
			continue
		}
		v.r.Pass(CheckEndorsementSignature, subject, fmt.Sprintf("endorsement %d by %s", i, eid))
		if !slices.ContainsFunc(out, func(o *identity) bool { return o.mspID == eid.mspID && bytes.Equal(o.cert.Raw, eid.cert.Raw) }) {
			out = append(out, eid)
		}
	}
	return out
}
