# Beijing calls the 2.1 models wanx2.1-*.
#! SB321 3:7
model wan2.1-t2v-turbo
region beijing
size 1280*720
clip a 5s
  A lantern drifts over a night market.
