package mgmt

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// userRead is ONEACCESS-API.md 2.0's UserRead, field for field and in its
// order; it deliberately carries no attr_*, employee_id or name parts.
type userRead struct {
	UserID              string          `json:"user_id"`
	OrgID               *string         `json:"org_id"`
	UserName            string          `json:"user_name"`
	Name                string          `json:"name"`
	Mobile              *string         `json:"mobile"`
	Email               *string         `json:"email"`
	PwdMustModify       bool            `json:"pwd_must_modify"`
	PwdChangeAt         *string         `json:"pwd_change_at"`
	CreatedAt           *string         `json:"created_at"`
	UpdatedAt           *string         `json:"updated_at"`
	Disabled            bool            `json:"disabled"`
	Grade               int             `json:"grade"`
	Locked              string          `json:"locked"`
	Extension           json.RawMessage `json:"extension"`
	UserOrgRelationList []orgRelation   `json:"user_org_relation_list"`
}

type orgRelation struct {
	OrgID        string `json:"org_id"`
	RelationType string `json:"relation_type"`
}

func (a *API) userRead(u *storage.User) userRead {
	ext := u.Extension
	if len(ext) == 0 {
		ext = json.RawMessage("{}")
	}
	rels := make([]orgRelation, 0, len(u.Orgs))
	for _, o := range u.Orgs {
		rels = append(rels, orgRelation{OrgID: o.OrgID, RelationType: strconv.Itoa(o.RelationType)})
	}
	return userRead{
		UserID: u.ID, OrgID: strOrNil(u.HomeOrgID), UserName: u.UserName, Name: u.Name,
		Mobile: strOrNil(u.Mobile), Email: strOrNil(u.Email), PwdMustModify: u.PwdMustModify,
		PwdChangeAt: a.stamp(u.PwdChangedAt), CreatedAt: a.stamp(u.CreatedAt), UpdatedAt: a.stamp(u.UpdatedAt),
		Disabled: u.Disabled, Grade: u.Grade, Locked: strconv.FormatBool(u.Locked),
		Extension: ext, UserOrgRelationList: rels,
	}
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// stampLayout is OneAccess's timestamp format, local wall time, no offset.
const stampLayout = "2006-01-02 15:04:05.000"

// stamp formats a time as OneAccess does, or null for the zero time.
func (a *API) stamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.In(a.Location).Format(stampLayout)
	return &s
}
