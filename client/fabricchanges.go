package client

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Changes implements Changer from the peer's block events: full blocks,
// whose valid endorser transactions of the chaincode are taken apart down
// to their writes. The peer has validated the blocks; this reads them.
func (f *Fabric) Changes(ctx context.Context, from uint64) iter.Seq2[*BlockChanges, error] {
	return func(yield func(*BlockChanges, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		blocks, err := f.network.BlockEvents(ctx, client.WithStartBlock(from))
		if err != nil {
			yield(nil, unavailable(err))
			return
		}
		for b := range blocks {
			received := time.Now()
			changes, err := blockChanges(b, f.cfg.Chaincode)
			if err != nil {
				yield(nil, err)
				return
			}
			changes.Committed = received
			if !yield(changes, nil) {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		yield(nil, fmt.Errorf("%w: the block stream from %s ended", ErrUnavailable, f.cfg.Endpoint))
	}
}

// blockChanges takes the chaincode's valid transactions out of a block.
func blockChanges(b *common.Block, chaincode string) (*BlockChanges, error) {
	n := b.GetHeader().GetNumber()
	out := &BlockChanges{Number: n}
	var flags []byte
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		flags = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	for i, raw := range b.GetData().GetData() {
		if i >= len(flags) || peer.TxValidationCode(flags[i]) != peer.TxValidationCode_VALID {
			continue
		}
		tc, err := txChanges(raw, chaincode)
		if err != nil {
			return nil, fmt.Errorf("client: block %d, transaction %d: %w", n, i, err)
		}
		if tc == nil {
			continue
		}
		tc.Index = uint32(i)
		if tc.Event != nil {
			tc.Event.BlockNumber = n
		}
		out.Transactions = append(out.Transactions, tc)
	}
	return out, nil
}

// txChanges returns an endorser transaction's event and writes in the
// chaincode's namespace, or nil for a transaction of another kind or
// chaincode.
func txChanges(raw []byte, chaincode string) (*TxChanges, error) {
	env := &common.Envelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	pl := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), pl); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), chdr); err != nil {
		return nil, fmt.Errorf("channel header: %w", err)
	}
	if chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return nil, nil
	}
	tx := &peer.Transaction{}
	if err := proto.Unmarshal(pl.GetData(), tx); err != nil {
		return nil, fmt.Errorf("transaction %s: %w", chdr.GetTxId(), err)
	}
	if len(tx.GetActions()) == 0 {
		return nil, nil
	}
	cap := &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), cap); err != nil {
		return nil, fmt.Errorf("transaction %s: action payload: %w", chdr.GetTxId(), err)
	}
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), prp); err != nil {
		return nil, fmt.Errorf("transaction %s: proposal response: %w", chdr.GetTxId(), err)
	}
	cca := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), cca); err != nil {
		return nil, fmt.Errorf("transaction %s: chaincode action: %w", chdr.GetTxId(), err)
	}
	if cca.GetChaincodeId().GetName() != chaincode {
		return nil, nil
	}
	tc := &TxChanges{ID: chdr.GetTxId(), Timestamp: chdr.GetTimestamp().AsTime()}
	if len(cca.GetEvents()) > 0 {
		ev := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(cca.GetEvents(), ev); err != nil {
			return nil, fmt.Errorf("transaction %s: event: %w", chdr.GetTxId(), err)
		}
		if ev.GetEventName() != "" {
			tc.Event = &Event{TxID: tc.ID, Chaincode: chaincode, Name: ev.GetEventName(), Payload: ev.GetPayload()}
		}
	}
	rws := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(cca.GetResults(), rws); err != nil {
		return nil, fmt.Errorf("transaction %s: read-write set: %w", chdr.GetTxId(), err)
	}
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() != chaincode {
			continue
		}
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.GetRwset(), kv); err != nil {
			return nil, fmt.Errorf("transaction %s: writes: %w", chdr.GetTxId(), err)
		}
		for _, w := range kv.GetWrites() {
			tc.Writes = append(tc.Writes, Write{Key: w.GetKey(), Value: w.GetValue(), Delete: w.GetIsDelete()})
		}
	}
	return tc, nil
}
