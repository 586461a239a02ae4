package directory

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/gatehouse/gatehouse/internal/opt"
)

// UserWrite is the body of create and modify (ONEACCESS-API.md 2.0,
// UserWrite). Every field is optional here; Create enforces what it
// requires. Field names are OneAccess's, which is the domain vocabulary.
type UserWrite struct {
	UserName     opt.String `json:"user_name"`
	Password     opt.String `json:"password"`
	Mobile       opt.String `json:"mobile"`
	OrgCode      opt.String `json:"org_code"`
	OrgCodeCamel opt.String `json:"orgCode"`
	Name         opt.String `json:"name"`
	Email        opt.String `json:"email"`
	EmployeeID   opt.String `json:"employee_id"`
	ExternalID   opt.String `json:"external_id"`
	FirstName    opt.String `json:"first_name"`
	MiddleName   opt.String `json:"middle_name"`
	LastName     opt.String `json:"last_name"`

	PwdMustModify opt.Bool `json:"pwd_must_modify"`

	AttrGender         opt.String `json:"attr_gender"`
	AttrBirthday       opt.String `json:"attr_birthday"`
	AttrNickName       opt.String `json:"attr_nick_name"`
	AttrIdentityType   opt.String `json:"attr_identity_type"`
	AttrIdentityNumber opt.String `json:"attr_identity_number"`
	AttrArea           opt.String `json:"attr_area"`
	AttrCity           opt.String `json:"attr_city"`
	AttrManagerID      opt.String `json:"attr_manager_id"`
	AttrUserType       opt.String `json:"attr_user_type"`
	AttrHireDate       opt.String `json:"attr_hire_date"`
	AttrWorkPlace      opt.String `json:"attr_work_place"`

	UserOrgRelationList opt.Value[[]OrgRelation]              `json:"user_org_relation_list"`
	Extension           opt.Value[map[string]json.RawMessage] `json:"extension"`
}

// orgCode returns org_code, or its camel-case spelling.
func (w *UserWrite) orgCode() opt.String {
	if w.OrgCode.Set {
		return w.OrgCode
	}
	return w.OrgCodeCamel
}

// OrgRelation is one entry of user_org_relation_list. Both spellings of
// each key are accepted, and relationType may be a string or a number.
type OrgRelation struct {
	OrgCode      string
	RelationType string // "0" home, "1" secondary, "" unspecified
}

func (r *OrgRelation) UnmarshalJSON(b []byte) error {
	var raw struct {
		OrgCode      opt.String `json:"orgCode"`
		OrgCodeSnake opt.String `json:"org_code"`
		RelType      opt.String `json:"relationType"`
		RelTypeSnake opt.String `json:"relation_type"`
	}
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		return errors.New("must be an object")
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	r.OrgCode = raw.OrgCode.V
	if raw.OrgCodeSnake.Set {
		r.OrgCode = raw.OrgCodeSnake.V
	}
	r.RelationType = raw.RelType.V
	if raw.RelTypeSnake.Set {
		r.RelationType = raw.RelTypeSnake.V
	}
	return nil
}

// profileFields maps each attr_* field to its slot in the stored profile.
func (w *UserWrite) profileFields() []struct {
	name string
	v    *opt.String
} {
	return []struct {
		name string
		v    *opt.String
	}{
		{"attr_gender", &w.AttrGender}, {"attr_birthday", &w.AttrBirthday}, {"attr_nick_name", &w.AttrNickName},
		{"attr_identity_type", &w.AttrIdentityType}, {"attr_identity_number", &w.AttrIdentityNumber},
		{"attr_area", &w.AttrArea}, {"attr_city", &w.AttrCity}, {"attr_manager_id", &w.AttrManagerID},
		{"attr_user_type", &w.AttrUserType}, {"attr_hire_date", &w.AttrHireDate}, {"attr_work_place", &w.AttrWorkPlace},
	}
}
