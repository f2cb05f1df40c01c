package state

import (
	"encoding/json"

	"github.com/mynthform/mynthform/mynth"
)

// FormatVersion is the newest state format this build reads and the only
// one it writes. Version 2 added the write-ahead creation records
// (File.Attempts) and the ledger (File.History); version 3 the uploaded
// input files (File.Uploads). An older file is read as a file of the newest
// version without what came later.
const FormatVersion = 3

// MaxSerial is the largest serial a state is written with: 2^53-1, the
// largest integer that every JSON reader (JavaScript's and jq's numbers
// among them) holds exactly. Save refuses to go past it rather than wrap.
const MaxSerial uint64 = 1<<53 - 1

// File is the state: what mynthform last observed of every task it manages.
type File struct {
	// Version is the format version.
	Version int `json:"version"`
	// Serial grows by one on every write, up to MaxSerial.
	Serial uint64 `json:"serial"`
	// Lineage is a random id fixed when the state is first created.
	Lineage string `json:"lineage"`
	// ToolVersion is the mynthform version that wrote the file.
	ToolVersion string `json:"tool_version"`
	// Tasks holds every recorded task by address.
	Tasks map[string]*Task `json:"tasks"`
	// Attempts holds, by address, the creation requests apply sent (or
	// was about to send) whose answer is not recorded: the write-ahead
	// record of each creation. apply saves one before it sends
	// POST /image/generate and replaces it with the task once Mynth
	// answers; one that stays means the task may exist and may have been
	// charged for. nil or empty when there is none.
	Attempts map[string]*Attempt `json:"attempts,omitempty"`
	// History is the ledger: every task the state recorded and then let
	// go (replaced by another task at its address, or forgotten), oldest
	// first, so that the state answers what its assets cost, including
	// what was thrown away. nil when there is none.
	History []*Superseded `json:"history,omitempty"`
	// Uploads holds, by path (relative to the spec directory, forward
	// slashes, as the spec's file inputs give it), the input files apply
	// uploaded to Mynth: what was uploaded (sha256 and size) and the URL
	// Mynth gave it. A file whose sha256 is recorded (at its path or any
	// other) is never uploaded again. nil when there is none.
	Uploads map[string]*Upload `json:"uploads,omitempty"`
}

// Upload is one input file uploaded to Mynth (POST /image/upload).
type Upload struct {
	// SHA256 is the lower-case hex SHA-256 of the bytes uploaded.
	SHA256 string `json:"sha256"`
	// Size is their length in bytes.
	Size int64 `json:"size"`
	// URL is where Mynth serves the upload: what a request's inputs carry.
	URL string `json:"url"`
	// UploadedAt is when apply uploaded it, RFC 3339 in UTC.
	UploadedAt string `json:"uploaded_at,omitempty"`
}

// Superseded is one entry of the ledger: a task the state no longer holds
// at its address. It keeps what the task cost and why it was let go, not
// the task itself (Mynth still has it).
type Superseded struct {
	// Address is where the task was recorded.
	Address string `json:"address"`
	// ID is the Mynth task id.
	ID string `json:"id"`
	// RequestSHA256 is the hex SHA-256 of the recorded request in
	// canonical form, "" when none was recorded (a task read with its
	// access token only).
	RequestSHA256 string `json:"request_sha256,omitempty"`
	// Cost is the task's result total as recorded, nil when none was
	// (it was pending, or failed before generating).
	Cost *mynth.Amount `json:"cost,omitempty"`
	// CreatedAt is the task's creation time as the API gave it.
	CreatedAt string `json:"created_at,omitempty"`
	// SupersededAt is when the state let it go, RFC 3339 in UTC.
	SupersededAt string `json:"superseded_at"`
	// Reason is SupersededReplaced or SupersededForgotten.
	Reason string `json:"reason"`
	// ReplacedBy is the id of the task recorded in its place, when
	// replaced.
	ReplacedBy string `json:"replaced_by,omitempty"`
}

// Reasons of a ledger entry.
const (
	// SupersededReplaced: another task was recorded at the address (a
	// replace, or an adopt of another pinned id).
	SupersededReplaced = "replaced"
	// SupersededForgotten: the address left the spec and apply forgot it.
	SupersededForgotten = "forgotten"
)

// Attempt is the write-ahead record of one creation request: what apply
// sent, or was about to send, to POST /image/generate for an address.
// While it is in the state the outcome of that request is unknown: the
// task may exist at Mynth, and may have cost money, without its id being
// recorded. A task recorded at the same address (the one a replace would
// supersede) stays recorded beside it.
type Attempt struct {
	// ID identifies the attempt: "att_" and 32 hex digits, random.
	ID string `json:"attempt_id"`
	// Request is the request as sent, JSON with keys sorted (never with
	// an access token).
	Request json.RawMessage `json:"request"`
	// StartedAt is when the record was made, RFC 3339 in UTC.
	StartedAt string `json:"started_at"`
	// Error says why the outcome is unknown when apply lived to see it
	// ("no answer within 1m0s", "502 from Mynth"); "" while the request
	// was in flight, which is what a killed apply leaves.
	Error string `json:"error,omitempty"`
}

// Task is one recorded task.
type Task struct {
	// ID is the Mynth task id (tsk_...).
	ID string `json:"id"`
	// Status is the task's status when it was last observed.
	Status mynth.Status `json:"status"`
	// CreatedAt and UpdatedAt are the task's timestamps as the API gave
	// them.
	CreatedAt string `json:"created_at,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
	// Request and Result are the task's request and result as observed,
	// unknown fields kept, keys sorted. Request is empty when only a PAT
	// could read the task; Result is empty while the task is pending.
	Request json.RawMessage `json:"request,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	// Files are the images saved into the repository.
	Files []SavedFile `json:"files,omitempty"`
}

// SavedFile is one image saved to a path of the repository.
type SavedFile struct {
	// Path is relative to the spec directory, with forward slashes.
	Path string `json:"path"`
	// ImageID is the Mynth image the file was downloaded from.
	ImageID string `json:"image_id"`
	// URL is the image URL it was downloaded from.
	URL string `json:"url"`
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
}
