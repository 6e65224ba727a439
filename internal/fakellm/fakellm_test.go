package fakellm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWritesSplitCharacters(t *testing.T) {
	for name, writes := range map[string][]string{
		"openai":    OpenAI("m", "a", "é", "👋"),
		"anthropic": Anthropic("m", "a", "é", "👋"),
	} {
		split := 0
		for _, w := range writes {
			if !utf8.ValidString(w) {
				split++
			}
		}
		if split != 4 { // two characters, each cut across two writes
			t.Errorf("%s: %d writes with a cut character, want 4", name, split)
		}
		all := strings.Join(writes, "")
		if !utf8.ValidString(all) || !strings.Contains(all, "é") || !strings.Contains(all, "👋") {
			t.Errorf("%s: joined writes lose text", name)
		}
	}
}
