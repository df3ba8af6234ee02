package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// asn1Header is the block header as Fabric hashes it (protoutil.BlockHeaderBytes).
type asn1Header struct {
	Number       *big.Int
	PreviousHash []byte
	DataHash     []byte
}

// headerBytes is protoutil.BlockHeaderBytes: the ASN.1 DER of the header.
func headerBytes(h *common.BlockHeader) []byte {
	b, err := asn1.Marshal(asn1Header{Number: new(big.Int).SetUint64(h.GetNumber()), PreviousHash: h.GetPreviousHash(), DataHash: h.GetDataHash()})
	if err != nil { // cannot happen for a big.Int and two byte strings
		return nil
	}
	return b
}

// headerHash is the hash the next block's PreviousHash holds.
func headerHash(h *common.BlockHeader) []byte {
	sum := sha256.Sum256(headerBytes(h))
	return sum[:]
}

// dataHash is protoutil.ComputeBlockDataHash of Fabric v2 and v3: the
// SHA-256 of the concatenated envelopes.
func dataHash(d *common.BlockData) []byte {
	h := sha256.New()
	for _, env := range d.GetData() {
		h.Write(env)
	}
	return h.Sum(nil)
}

func parseBlock(raw []byte) (*common.Block, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty block")
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("not a block: %w", err)
	}
	if b.GetHeader() == nil {
		return nil, errors.New("block without header")
	}
	return b, nil
}

func blockSubject(n uint64) string { return fmt.Sprintf("block %d", n) }

// dataHashErr compares the header's data hash with the block's data.
func dataHashErr(b *common.Block) error {
	if !bytes.Equal(dataHash(b.GetData()), b.GetHeader().GetDataHash()) {
		return fmt.Errorf("block %d: data hash does not match its data", b.GetHeader().GetNumber())
	}
	return nil
}

// envelopeHeader parses an envelope down to its channel header.
func envelopeHeader(raw []byte) (*common.Envelope, *common.Payload, *common.ChannelHeader, error) {
	env := &common.Envelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return nil, nil, nil, fmt.Errorf("envelope: %w", err)
	}
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		return nil, nil, nil, fmt.Errorf("payload: %w", err)
	}
	if payload.GetHeader() == nil {
		return nil, nil, nil, errors.New("payload without header")
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr); err != nil {
		return nil, nil, nil, fmt.Errorf("channel header: %w", err)
	}
	return env, payload, chdr, nil
}

// blockChannelErr checks that every envelope of the block is on the channel.
func (v *verifier) blockChannelErr(b *common.Block) error {
	n := b.GetHeader().GetNumber()
	data := b.GetData().GetData()
	if len(data) == 0 {
		return fmt.Errorf("block %d holds no transactions", n)
	}
	for i, raw := range data {
		_, _, chdr, err := envelopeHeader(raw)
		if err != nil {
			return fmt.Errorf("block %d: transaction %d: %w", n, i, err)
		}
		if chdr.GetChannelId() != v.channel {
			return fmt.Errorf("block %d: transaction %d is on channel %q, not %q", n, i, chdr.GetChannelId(), v.channel)
		}
	}
	return nil
}

// signatureMetadata is the block's SIGNATURES metadata.
func signatureMetadata(b *common.Block) (*common.Metadata, error) {
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_SIGNATURES) || len(md[common.BlockMetadataIndex_SIGNATURES]) == 0 {
		return nil, fmt.Errorf("block %d carries no orderer signatures", b.GetHeader().GetNumber())
	}
	m := &common.Metadata{}
	if err := proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], m); err != nil {
		return nil, fmt.Errorf("block %d: signature metadata: %w", b.GetHeader().GetNumber(), err)
	}
	return m, nil
}

// lastConfig is the config block the orderers cut a block under (from the
// signed SIGNATURES metadata value).
func lastConfig(b *common.Block) (uint64, error) {
	m, err := signatureMetadata(b)
	if err != nil {
		return 0, err
	}
	obm := &common.OrdererBlockMetadata{}
	if err := proto.Unmarshal(m.GetValue(), obm); err != nil {
		return 0, fmt.Errorf("block %d: orderer block metadata: %w", b.GetHeader().GetNumber(), err)
	}
	if obm.GetLastConfig() == nil {
		return 0, fmt.Errorf("block %d: orderer block metadata without last config", b.GetHeader().GetNumber())
	}
	return obm.GetLastConfig().GetIndex(), nil
}

// bundleBlock is a bundle block that parsed.
type bundleBlock struct {
	block  *common.Block
	ok     bool   // every block-level check held
	signed string // who signed it, as the orderer signature check found
}

// verifyBlocks checks the bundle's blocks and returns those that parsed.
func (v *verifier) verifyBlocks(raws [][]byte) []*bundleBlock {
	headers := map[uint64]*common.BlockHeader{}
	var cfgNum uint64
	if v.cfgBlock != nil {
		cfgNum = v.cfgBlock.GetHeader().GetNumber()
		headers[cfgNum] = v.cfgBlock.GetHeader()
	}
	if len(raws) == 0 {
		v.r.Add(CheckBlockFormat, "bundle", errors.New("the bundle holds no blocks"))
		return nil
	}
	var out []*bundleBlock
	var prev *bundleBlock
	for i, raw := range raws {
		b, err := parseBlock(raw)
		if !v.r.Add(CheckBlockFormat, fmt.Sprintf("bundle block %d", i), err) {
			continue
		}
		n := b.GetHeader().GetNumber()
		subject := blockSubject(n)
		bb := &bundleBlock{block: b, ok: v.cfg != nil}
		out = append(out, bb)
		add := func(check Check, err error) {
			bb.ok = v.r.Add(check, subject, err) && bb.ok
		}
		// Number: ascending, unique, and the config block only as itself.
		switch {
		case prev != nil && n <= prev.block.GetHeader().GetNumber():
			add(CheckBlockNumber, fmt.Errorf("block %d follows block %d: the bundle's blocks must ascend, without duplicates", n, prev.block.GetHeader().GetNumber()))
		case v.cfgBlock != nil && n == cfgNum && !bytes.Equal(headerHash(b.GetHeader()), headerHash(v.cfgBlock.GetHeader())):
			add(CheckBlockNumber, fmt.Errorf("block %d differs from the bundle's config block %d", n, cfgNum))
		case prev != nil:
			v.r.Pass(CheckBlockNumber, subject, fmt.Sprintf("follows block %d", prev.block.GetHeader().GetNumber()))
		default:
			v.r.Pass(CheckBlockNumber, subject, "first block of the bundle")
		}
		prev = bb
		add(CheckBlockChannel, v.blockChannelErr(b))
		add(CheckDataHash, dataHashErr(b))
		if n > 0 {
			if ph, ok := headers[n-1]; ok {
				if !bytes.Equal(b.GetHeader().GetPreviousHash(), headerHash(ph)) {
					add(CheckHeaderChain, fmt.Errorf("block %d: previous hash does not match the header of block %d", n, n-1))
				} else {
					v.r.Pass(CheckHeaderChain, subject, fmt.Sprintf("links to block %d", n-1))
				}
			}
		}
		if _, dup := headers[n]; !dup {
			headers[n] = b.GetHeader()
		}
		if v.cfgBlock != nil && n+1 == cfgNum {
			if !bytes.Equal(v.cfgBlock.GetHeader().GetPreviousHash(), headerHash(b.GetHeader())) {
				add(CheckHeaderChain, fmt.Errorf("block %d: previous hash of the config block %d does not match the header of block %d", n, cfgNum, n))
			} else {
				v.r.Pass(CheckHeaderChain, subject, fmt.Sprintf("config block %d links to it", cfgNum))
			}
		}
		if detail, err := v.ordererSignatures(b); err != nil {
			add(CheckOrdererSignature, err)
		} else {
			bb.signed = detail
			v.r.Pass(CheckOrdererSignature, subject, detail)
			if detail, err := v.checkLastConfig(b); err != nil {
				add(CheckBlockConfig, err)
			} else {
				v.r.Pass(CheckBlockConfig, subject, detail)
			}
		}
	}
	return out
}

// checkLastConfig checks that a block was cut under the configuration the
// bundle anchors. That is the genesis block's: v.cfg is set only when the
// config block is block 0, so a block cut under any later config block
// fails.
func (v *verifier) checkLastConfig(b *common.Block) (string, error) {
	lc, err := lastConfig(b)
	if err != nil {
		return "", err
	}
	if lc != v.cfg.block {
		return "", fmt.Errorf("block %d was cut under config block %d, newer than the bundle's config block %d", b.GetHeader().GetNumber(), lc, v.cfg.block)
	}
	return fmt.Sprintf("cut under config block %d, the bundle's", lc), nil
}
