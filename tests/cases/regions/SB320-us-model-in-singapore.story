# wan2.6-t2v-us is the US-only deployment; with no `region`, the default region is singapore.
#! SB320 3:7
model wan2.6-t2v-us
size 1280*720
clip a 5s
  A lantern drifts over a night market.
