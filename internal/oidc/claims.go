package oidc

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// scopeClaims adds the user's standard claims for the granted scopes
// (OpenID Connect Core 1.0 section 5.4).
//
// email_verified is true: users and their e-mail addresses are set by
// administrators or directory sync, never by self-service, so an address
// is as trusted as the directory.
func scopeClaims(j *jsonw, u *storage.User, scopes []string) {
	var prof map[string]string
	if len(u.Profile) > 2 {
		json.Unmarshal(u.Profile, &prof)
	}
	if slices.Contains(scopes, "profile") {
		j.str("name", u.Name).str("preferred_username", u.UserName)
		j.strOpt("given_name", u.FirstName).strOpt("middle_name", u.MiddleName).strOpt("family_name", u.LastName)
		j.strOpt("nickname", prof["attr_nick_name"]).strOpt("birthdate", prof["attr_birthday"])
		switch prof["attr_gender"] {
		case "male", "female":
			j.str("gender", prof["attr_gender"])
		}
		j.num("updated_at", u.UpdatedAt.Unix())
	}
	if slices.Contains(scopes, "email") && u.Email != "" {
		j.str("email", u.Email).boolean("email_verified", true)
	}
	if slices.Contains(scopes, "phone") && u.Mobile != "" {
		j.str("phone_number", phoneNumber(u)).boolean("phone_number_verified", true)
	}
	if slices.Contains(scopes, "address") && (prof["attr_area"] != "" || prof["attr_city"] != "") {
		a := newJSON(64).strOpt("country", prof["attr_area"]).strOpt("locality", prof["attr_city"]).done()
		j.raw("address", a)
	}
}

// phoneNumber is the mobile in E.164 form when it has a country code.
func phoneNumber(u *storage.User) string {
	if strings.HasPrefix(u.MobileKey, "+") {
		return u.MobileKey
	}
	if k := directory.MobileKey(u.Mobile); k != "" {
		return k
	}
	return u.Mobile
}

// oneAccessClaims are the fields of OneAccess's userinfo response
// (ONEACCESS-API.md 4.1.4), always present so that applications written
// for OneAccess find them.
func oneAccessClaims(j *jsonw, u *storage.User) {
	j.str("id", u.ID).str("userName", u.UserName).str("name", u.Name)
	j.str("email", u.Email).str("mobile", u.Mobile)
}

func splitScope(s string) []string { return strings.Fields(s) }
