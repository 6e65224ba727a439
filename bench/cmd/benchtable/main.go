// Command benchtable turns the output of the bench module's BenchmarkDecode
// (any -count) into Markdown tables: the median of each metric per corpus,
// read mode and peer, and this package's parser's ratios to the fastest
// peer and to the bounds.
//
//	go test -run XXX -bench . -count 6 | tee bench.txt
//	go run ./cmd/benchtable < bench.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var lineRE = regexp.MustCompile(`^BenchmarkDecode/corpus=([^/]+)/read=([^/]+)/peer=(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

type key struct{ corpus, read, peer string }

func main() {
	samples := map[key]map[string][]float64{}
	var order []key
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := lineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		k := key{m[1], m[2], m[3]}
		if samples[k] == nil {
			samples[k] = map[string][]float64{}
			order = append(order, k)
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				samples[k][f[i+1]] = append(samples[k][f[i+1]], v)
			}
		}
	}
	med := func(k key, unit string) (float64, bool) {
		s := samples[k][unit]
		if len(s) == 0 {
			return 0, false
		}
		s = slices.Clone(s)
		sort.Float64s(s)
		if len(s)%2 == 1 {
			return s[len(s)/2], true
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
	}

	type mode struct{ corpus, read string }
	var modes []mode
	peers := []string{}
	for _, k := range order {
		if m := (mode{k.corpus, k.read}); !slices.Contains(modes, m) {
			modes = append(modes, m)
		}
		if !slices.Contains(peers, k.peer) {
			peers = append(peers, k.peer)
		}
	}
	isOurs := func(p string) bool { return strings.HasPrefix(p, "ssekit-") }
	isBound := func(p string) bool { return strings.HasPrefix(p, "bound-") }
	// Ratios are of CPU time per event: on a shared machine wall time
	// varies with the neighbours' load far more than CPU time does.
	const unit, scanner = "cpu-ns/event", "bufio-scanner"
	fmt.Println("#### This parser against the fastest correct peer and the bounds (CPU time per event, median)")
	fmt.Println()
	fmt.Println("Speed-up = the peer's CPU time ÷ ours (>1: ours is faster). Library peers are go-sse, launchdarkly, r3labs and openai-go; the bufio.Scanner loop is shown apart. Share of bound = the bound's CPU time ÷ ours (1 would be as fast as the bound).")
	fmt.Println()
	fmt.Println("| corpus | reads | Data() ns/ev | Event() ns/ev | fastest library peer ns/ev | Data() speed-up | Event() speed-up | bufio.Scanner ns/ev | Data() speed-up | Event() speed-up | Data() share of indexbyte | Data() share of io.Copy |")
	fmt.Println("|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|")
	ratio := func(peer, ours float64) string {
		if peer == 0 || ours == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", peer/ours)
	}
	for _, m := range modes {
		data, _ := med(key{m.corpus, m.read, "ssekit-data"}, unit)
		event, _ := med(key{m.corpus, m.read, "ssekit-event"}, unit)
		best, bestName := 0.0, ""
		for _, p := range peers {
			if isOurs(p) || isBound(p) || p == scanner {
				continue
			}
			if v, ok := med(key{m.corpus, m.read, p}, unit); ok && (bestName == "" || v < best) {
				best, bestName = v, p
			}
		}
		sc, _ := med(key{m.corpus, m.read, scanner}, unit)
		ib, _ := med(key{m.corpus, m.read, "bound-indexbyte"}, unit)
		cp, _ := med(key{m.corpus, m.read, "bound-iocopy"}, unit)
		peerCell := "none correct"
		if bestName != "" {
			peerCell = fmt.Sprintf("%s %s", bestName, format(best))
		}
		scCell := "–"
		if sc != 0 {
			scCell = format(sc)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f |\n",
			m.corpus, m.read, format(data), format(event), peerCell, ratio(best, data), ratio(best, event),
			scCell, ratio(sc, data), ratio(sc, event), ib/data, cp/data)
	}

	for _, unit := range []string{"cpu-ns/event", "MB/s", "allocs/event", "B/event"} {
		fmt.Println()
		title := unit
		if unit == "MB/s" {
			title = "MB/s (wall clock)"
		}
		fmt.Printf("#### %s, median (–: not benchmarked, see the correctness table)\n\n", title)
		fmt.Print("| corpus | reads |")
		for _, p := range peers {
			fmt.Printf(" %s |", p)
		}
		fmt.Print("\n|---|---|")
		for range peers {
			fmt.Print("--:|")
		}
		fmt.Println()
		for _, m := range modes {
			fmt.Printf("| %s | %s |", m.corpus, m.read)
			for _, p := range peers {
				v, ok := med(key{m.corpus, m.read, p}, unit)
				if !ok {
					fmt.Print(" – |")
					continue
				}
				fmt.Printf(" %s |", format(v))
			}
			fmt.Println()
		}
	}
}

func format(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v >= 0.001:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'e', 1, 64)
}
