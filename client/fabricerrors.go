package client

import (
	"fmt"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// How the Fabric backend reads the gateway's errors. The gateway answers
// with a gRPC status — its code says what kind of failure it was — and,
// where endorsers were asked, a gateway.ErrorDetail per endorser that
// failed (its address, MSP id and what it said). The client's errors are
// decided from the code and the details, never from the error's text:
//
//   - a detail (or, for an evaluate, the status) carrying the registry's
//     JSON error is the chaincode's refusal: EndorseError.Registry;
//   - Unavailable or DeadlineExceeded: the gateway's peer, or the ordering
//     service, could not be reached in time: ErrUnavailable;
//   - FailedPrecondition on endorsement: the gateway found no set of peers
//     that satisfies the endorsement policy (an org's peer is down):
//     ErrNoEndorsers;
//   - Aborted with endorser details that are not refusals: the peers the
//     gateway chose could not endorse (down, unreachable, their chaincode
//     server gone): ErrNoEndorsers — unless every detail reports that the
//     endorsers' results differed (payloadMismatch), which means they
//     simulated at different heights: the proposal is retried.
//
// The endorsers' details stay on the EndorseError.

// payloadMismatch is the gateway's detail message for endorsers whose
// results differ (fabric internal/pkg/gateway, endorsement.go).
const payloadMismatch = "ProposalResponsePayloads do not match"

// EndorserFailure is one endorser's part of a failed endorsement, as the
// gateway reported it.
type EndorserFailure struct {
	Address string
	MSPID   string
	Message string
}

// endorserFailures returns the per-endorser details of a gateway status.
func endorserFailures(st *status.Status) []EndorserFailure {
	var out []EndorserFailure
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, EndorserFailure{Address: ed.GetAddress(), MSPID: ed.GetMspId(), Message: ed.GetMessage()})
		}
	}
	return out
}

// endorseError classifies a failed endorsement (or evaluation) of
// transaction txID ("" for a query).
func endorseError(txID string, err error) *EndorseError {
	st := status.Convert(err)
	failures := endorserFailures(st)
	e := &EndorseError{TxID: txID, Err: err, Endorsers: failures}
	for _, f := range failures {
		if re, ok := schema.ParseError(f.Message); ok {
			e.Registry = re
			return e
		}
	}
	if re, ok := schema.ParseError(st.Message()); ok && st.Code() == codes.Unknown {
		e.Registry = re // an evaluate's chaincode response, without details
		return e
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded:
		e.Err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	case codes.FailedPrecondition:
		e.Err = fmt.Errorf("%w: %w", ErrNoEndorsers, err)
	case codes.Aborted:
		mismatch := len(failures) > 0
		for _, f := range failures {
			mismatch = mismatch && f.Message == payloadMismatch
		}
		if mismatch {
			e.Mismatch = true
		} else if len(failures) > 0 {
			e.Err = fmt.Errorf("%w: %w", ErrNoEndorsers, err)
		}
	}
	return e
}

// unavailable wraps gRPC failures to reach the gateway's peer or the
// ordering service as ErrUnavailable (submits, commit statuses, events, qscc).
func unavailable(err error) error {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
