# Singapore calls the 2.1 models wan2.1-*; the region's id is sent, with a warning and a fix.
#! SB321 3:7
model wanx2.1-t2v-plus
size 1280*720
clip a 5s
  A lantern drifts over a night market.
