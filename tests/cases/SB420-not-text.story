#! SB420 5:13
#! SB420 5:14
#! SB420 6:9
clip a 3s
  The street￿￾ at night.
  A sign reads closed.
