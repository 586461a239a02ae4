package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// The seeded directory. Everything but the random part of ids follows
// from a user's index, so a resumed or repeated seed makes the same data
// and every measurement can name its targets without asking the server.
//
// Organisations form a tree: one root, `divisions` divisions under it and
// `depts` departments spread over the divisions; `projects` project
// organisations hang off the root. Every user's home is one department
// (about users/depts members each); every tenth user is also a secondary
// member of one project (about users/10/projects members each), so the
// org_id filter has both small and large organisations to page through.
//
// Users are created 30 s apart from dataEpoch on (1M users span 2024-01-01
// to 2024-12-12); one in five was updated later, up to 90 days after its
// creation, so an updated_at_greater filter selects a realistic tail.
var dataEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	userStep       = 30 * time.Second
	maxUpdateDelay = 90 * 24 * time.Hour

	rootCode = "BENCH"
)

func divisionCode(i int) string { return fmt.Sprintf("BENCH-D%03d", i) }
func deptCode(i int) string     { return fmt.Sprintf("BENCH-O%05d", i) }
func projectCode(i int) string  { return fmt.Sprintf("BENCH-P%02d", i) }

// seededUserName is the user name of user i; the prefix keeps seeded users
// apart from those the API benchmark creates.
func seededUserName(i int) string { return fmt.Sprintf("bench.u%08d", i) }

// shape is the size of the seeded directory.
type shape struct {
	users, divisions, depts, projects int
}

// orgIDs are the ids of the seeded organisations, by index.
type orgIDs struct {
	root     string
	depts    []string
	projects []string
}

var (
	surnames = []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
		"Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Smith", "Garcia", "Müller", "Rossi"}
	givenNames = []string{"Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yan", "Jun", "Tao", "Ming",
		"Hua", "Ping", "Qiang", "Xin", "Yu", "Anna", "David", "Maria", "Lukas", "Sofia", "Omar", "Aiko"}
	cities    = []string{"Shenzhen", "Beijing", "Shanghai", "Xi'an", "Chengdu", "Hangzhou", "Wuhan", "Nanjing", "Dongguan", "Suzhou"}
	userTypes = []string{"regular", "regular", "regular", "regular", "regular", "regular", "intern", "dispatch", "outsourcing"}
)

// mix is splitmix64: a cheap, well-spread hash of a user's index.
func mix(i int) uint64 {
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// createdAt is when user i was created.
func createdAt(i int) time.Time { return dataEpoch.Add(time.Duration(i) * userStep) }

// seededUser builds user i of the seeded directory, without a password
// (argon2id would cap seeding at about 80 users a second).
func seededUser(i int, orgs *orgIDs) *storage.User {
	h := mix(i)
	created := createdAt(i)
	updated := created
	if h%5 == 0 {
		updated = created.Add(time.Duration((h>>8)%uint64(maxUpdateDelay/time.Millisecond)) * time.Millisecond)
	}
	userName := seededUserName(i)
	mobile := fmt.Sprintf("+86-1%d%09d", 3+i/1_000_000_000, i%1_000_000_000)
	email := userName + "@corp.example.com"
	profile, _ := json.Marshal(map[string]string{
		"attr_city":      cities[(h>>20)%uint64(len(cities))],
		"attr_user_type": userTypes[(h>>28)%uint64(len(userTypes))],
		"attr_gender":    [...]string{"male", "female"}[(h>>36)%2],
	})
	u := &storage.User{
		TenantID:      storage.DefaultTenantID,
		ID:            idgen.New(created),
		UserName:      userName,
		UserNameKey:   directory.UserNameKey(userName),
		Name:          surnames[(h>>40)%uint64(len(surnames))] + " " + givenNames[(h>>48)%uint64(len(givenNames))],
		Mobile:        mobile,
		MobileKey:     directory.MobileKey(mobile),
		Email:         email,
		EmailKey:      directory.EmailKey(email),
		EmployeeID:    fmt.Sprintf("E%08d", i),
		Profile:       profile,
		Extension:     json.RawMessage(`{}`),
		PwdMustModify: true,
		CreatedAt:     created,
		UpdatedAt:     updated,
	}
	if len(orgs.depts) > 0 {
		u.HomeOrgID = orgs.depts[h%uint64(len(orgs.depts))]
		u.Orgs = []storage.UserOrg{{OrgID: u.HomeOrgID, RelationType: storage.RelationHome}}
	}
	if i%10 == 0 && len(orgs.projects) > 0 {
		u.Orgs = append(u.Orgs, storage.UserOrg{OrgID: orgs.projects[(i/10)%len(orgs.projects)], RelationType: storage.RelationSecondary})
	}
	return u
}
