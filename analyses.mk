# The paper's analyses, one target each, through the DVC pipeline (PROFILE=full for GPUs, PROFILE=smoke for a
# CPU). Included from the Makefile; uses its $(REPRO) and $(PULL_RUN_CACHE).
.PHONY: reproduce-frequency reproduce-filters reproduce-gradcam reproduce-mixup reproduce-cost reproduce-ood \
	reproduce-fmnist reproduce-analyses

reproduce-frequency: setup ## radius-accuracy curves, final and over training (figure 18)
	$(PULL_RUN_CACHE)
	$(REPRO) analysis_frequency@$(PROFILE)

reproduce-filters: setup ## non-zeros and sum |w| per kernel, dense vs each DST algorithm (figures 16-17)
	$(PULL_RUN_CACHE)
	$(REPRO) analysis_filters@$(PROFILE) analysis_filters_resnet34@$(PROFILE)

reproduce-gradcam: setup ## Grad-CAM of dense and DST models on clean and corrupted images (figure 19)
	$(PULL_RUN_CACHE)
	$(REPRO) analysis_gradcam@$(PROFILE)

reproduce-mixup: setup ## Table 9: Dense vs SET with and without Mixup
	$(PULL_RUN_CACHE)
	$(REPRO) analysis_mixup@$(PROFILE)

reproduce-cost: setup ## figure 9: training FLOPs and parameters vs robustness accuracy
	$(PULL_RUN_CACHE)
	$(REPRO) analysis_cost@$(PROFILE)

reproduce-ood: setup ## Tables 10-11: ImageNet-R and ImageNet-v2 (needs the ImageNet runs of Table 2)
	$(PULL_RUN_CACHE)
	$(REPRO) analysis_ood@$(PROFILE)

reproduce-fmnist: setup ## Table 8: MLP on Fashion-MNIST-C, Dense vs SET/RigL(/CHTs)
	$(PULL_RUN_CACHE)
	$(REPRO) analysis_fmnist@$(PROFILE)

reproduce-analyses: reproduce-frequency reproduce-filters reproduce-gradcam reproduce-mixup reproduce-cost \
	reproduce-ood reproduce-fmnist ## every analysis above
