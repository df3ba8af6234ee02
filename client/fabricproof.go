package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/efa-marktplatz/registry/proof"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// Evidence fetches, through the peer's qscc system chaincode, the blocks that hold the transactions and the channel's last config block.
//
// The blocks are as the peer served them (its bytes, not re-encoded), one
// per block number, ascending. The last config block is the one the
// channel's newest block names in its orderer metadata.
func (f *Fabric) Evidence(ctx context.Context, txIDs []string) (*proof.FabricLedger, error) {
	blocks := map[uint64][]byte{}
	for _, id := range txIDs {
		raw, b, err := f.qsccBlock(ctx, "GetBlockByTxID", id)
		if err != nil {
			return nil, fmt.Errorf("client: evidence: block of tx %s: %w", id, err)
		}
		blocks[b.GetHeader().GetNumber()] = raw
	}
	height, err := f.heightAt(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("client: evidence: chain height: %w", err)
	}
	if height == 0 {
		return nil, errors.New("client: evidence: the channel has no blocks")
	}
	_, head, err := f.qsccBlock(ctx, "GetBlockByNumber", strconv.FormatUint(height-1, 10))
	if err != nil {
		return nil, fmt.Errorf("client: evidence: head block %d: %w", height-1, err)
	}
	last, err := lastConfigIndex(head)
	if err != nil {
		return nil, fmt.Errorf("client: evidence: head block %d: %w", height-1, err)
	}
	cfg, cb, err := f.qsccBlock(ctx, "GetBlockByNumber", strconv.FormatUint(last, 10))
	if err != nil {
		return nil, fmt.Errorf("client: evidence: config block %d: %w", last, err)
	}
	if n := cb.GetHeader().GetNumber(); n != last {
		return nil, fmt.Errorf("client: evidence: asked for config block %d, the peer served block %d", last, n)
	}
	out := &proof.FabricLedger{ConfigBlock: cfg}
	for _, n := range slices.Sorted(maps.Keys(blocks)) {
		out.Blocks = append(out.Blocks, blocks[n])
	}
	return out, nil
}

// qsccBlock evaluates a qscc function that returns a block, on the channel
// with one further argument.
func (f *Fabric) qsccBlock(ctx context.Context, function, arg string) ([]byte, *common.Block, error) {
	raw, err := f.network.GetContract("qscc").EvaluateWithContext(ctx, function, client.WithArguments(f.cfg.Channel, arg))
	if err != nil {
		return nil, nil, fmt.Errorf("qscc %s: %w", function, unavailable(err))
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil {
		return nil, nil, fmt.Errorf("qscc %s: block: %w", function, err)
	}
	if b.GetHeader() == nil {
		return nil, nil, fmt.Errorf("qscc %s: block without header", function)
	}
	return raw, b, nil
}

// lastConfigIndex reads the number of the last config block from a block's
// orderer metadata (the SIGNATURES metadata's value, Fabric v2 and later).
func lastConfigIndex(b *common.Block) (uint64, error) {
	if b.GetHeader().GetNumber() == 0 {
		return 0, nil // the genesis block is the first config block
	}
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return 0, errors.New("no signature metadata")
	}
	m := &common.Metadata{}
	if err := proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], m); err != nil {
		return 0, fmt.Errorf("signature metadata: %w", err)
	}
	obm := &common.OrdererBlockMetadata{}
	if err := proto.Unmarshal(m.GetValue(), obm); err != nil {
		return 0, fmt.Errorf("orderer block metadata: %w", err)
	}
	if obm.GetLastConfig() == nil {
		return 0, errors.New("orderer block metadata without last config")
	}
	return obm.GetLastConfig().GetIndex(), nil
}
