package schema

// The chaincode's functions, by the names transactions and queries carry on
// the wire. An act a party signs is submitted under its primary type
// (TypeAddKey, TypeApproveFees, …); Act.Function names the one that carries
// an act. Outside the chaincode only the client submits and evaluates them.
const (
	// Member administration, submitted by an admin identity of a member org.
	FnRegisterParty           = "RegisterParty"
	FnSetInHouseRelationships = "SetInHouseRelationships"
	FnAddKeyAsMember          = "AddKeyAsMember"
	FnRevokeKeyAsMember       = "RevokeKeyAsMember"
	FnSetPartyDetails         = "SetPartyDetails"
	FnRecordFigures           = "RecordFigures"

	// Queries.
	FnGetDomain            = "GetDomain"
	FnGetParty             = "GetParty"
	FnGetOffering          = "GetOffering"
	FnGetOfferingVersion   = "GetOfferingVersion"
	FnGetPriceModel        = "GetPriceModel"
	FnGetAgreement         = "GetAgreement"
	FnGetFeeVersion        = "GetFeeVersion"
	FnGetEndorsementPolicy = "GetEndorsementPolicy"
	FnListOfferings        = "ListOfferings"
	FnListAgreements       = "ListAgreements"
	FnListPriceModels      = "ListPriceModels"
	FnHistory              = "History"
	FnListActs             = "ListActs"
	FnGetAct               = "GetAct"
	FnGetFigure            = "GetFigure"
	FnListFigures          = "ListFigures"
	FnGetAllocation        = "GetAllocation"
	FnComputeAllocation    = "ComputeAllocation"
	FnGetInvoice           = "GetInvoice"
	FnListInvoices         = "ListInvoices"
	FnGetReceipt           = "GetReceipt"
)

// RecordGetter names the query that reads a record of a kind.
func RecordGetter(r Record) (string, bool) {
	fn, ok := map[Record]string{
		RecordParty: FnGetParty, RecordOffering: FnGetOffering, RecordOfferingVersion: FnGetOfferingVersion,
		RecordPriceModel: FnGetPriceModel, RecordAgreement: FnGetAgreement, RecordFeeVersion: FnGetFeeVersion,
		RecordFigure: FnGetFigure, RecordAllocation: FnGetAllocation, RecordInvoice: FnGetInvoice,
	}[r]
	return fn, ok
}
